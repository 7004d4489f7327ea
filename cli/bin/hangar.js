#!/usr/bin/env node
// The `hangar` command: registers tsx so Node runs the TypeScript sources directly, then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
// A reader that closes early (`hangar events <id> | head -5`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    process.exit(error.code === 'EPIPE' ? (process.exitCode ?? 0) : 1);
  });
}
const { runCli, processIo } = await import('../main.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo());
