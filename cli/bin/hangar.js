#!/usr/bin/env node
// The `hangar` command: registers tsx so Node runs the TypeScript sources directly, then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runCli, processIo } = await import('../main.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo());
