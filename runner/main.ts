import { pino } from 'pino';
import { createLogger } from '../api/platform/logger.ts';
import { SECRET_NAME } from '../api/platform/mask.ts';
import { parseRunnerArgs, RUNNER_USAGE, RunnerUsageError } from './args.ts';
import { collectSecretValues } from './child-env.ts';
import { startRunner } from './runner.ts';

/**
 * `hangar-runner --port 8080 [--host 0.0.0.0] -- <command> <args...>`: the process inside every machine.
 * Token from `HANGAR_RUNNER_TOKEN` (or the variable `--token-env` names); log level from
 * `HANGAR_RUNNER_LOG_LEVEL` (default info). Logs are JSON lines on stdout.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseRunnerArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof RunnerUsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`hangar-runner: ${error.message}\n${RUNNER_USAGE}\n`);
    return 2;
  }
  const token = process.env[args.tokenEnv] ?? '';
  const logger = createLogger({
    level: process.env.HANGAR_RUNNER_LOG_LEVEL ?? 'info',
    destination: pino.destination({ dest: 1, sync: true }),
    knownSecrets: collectSecretValues(process.env, token, SECRET_NAME),
  }).child({ component: 'runner' });
  if (token.length < 16) {
    logger.error({ variable: args.tokenEnv }, 'runner token missing or shorter than 16 characters');
    return 2;
  }
  let runner;
  try {
    runner = await startRunner(args, process.env, token, logger);
  } catch (error) {
    logger.error({ err: error }, 'runner failed to start');
    return 1;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void runner.stop(signal));
  if (args.stopOnStdinEnd) {
    process.stdin.on('close', () => void runner.stop('SIGTERM'));
    process.stdin.resume();
  }
  return runner.finished;
}

process.exitCode = await main();
process.exit();
