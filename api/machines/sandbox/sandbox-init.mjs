// PID 1 inside a deployment's sandbox (bwrap --as-pid-1): starts the MCP server in a process group of its own,
// forwards SIGTERM/SIGINT to that whole group, and exits with the server's status, which ends the sandbox.
import { spawn } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) process.exit(2);
const child = spawn(command, args, { stdio: 'inherit', detached: true });
const forward = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
process.on('SIGTERM', () => forward('SIGTERM'));
process.on('SIGINT', () => forward('SIGINT'));
child.on('error', () => process.exit(127));
child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGKILL' ? 137 : 143)));
