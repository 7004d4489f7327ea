// Runs outside the sandbox, as the runner's stdio child: starts `prlimit … setpriv … bwrap --info-fd 3 …` in a
// process group of its own (so the runner's group signal reaches only this process, not bwrap, which does not
// forward signals and would tear the sandbox down at once), learns the sandbox's pid 1 from bwrap's info fd,
// and forwards SIGTERM/SIGINT to it; the init inside (sandbox-init.mjs) stops the server gracefully.
// stdin/stdout/stderr pass straight through: they are the MCP server's stdio. Exits as the sandbox exits.
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) process.exit(2);
const child = spawn(command, args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], detached: true });
let sandboxPid = 0;
let info = '';
child.stdio[3]?.on('data', (chunk) => {
  info += String(chunk);
  const match = /"child-pid"\s*:\s*(\d+)/.exec(info);
  if (match) sandboxPid = Number(match[1]);
});
child.stdio[3]?.on('error', () => undefined);
const forward = (signal) => {
  try {
    if (sandboxPid > 0) process.kill(sandboxPid, signal);
    else child.kill('SIGKILL');
  } catch {
    // already gone
  }
};
process.on('SIGTERM', () => forward('SIGTERM'));
process.on('SIGINT', () => forward('SIGINT'));
child.on('error', () => process.exit(127));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGKILL' ? 137 : 143)));
