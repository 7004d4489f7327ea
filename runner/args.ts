import { parseArgs } from 'node:util';
import { z } from 'zod';

export const RunnerArgsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1).default('0.0.0.0'),
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('HANGAR_RUNNER_TOKEN'),
  jsonResponse: z.boolean().default(false),
  maxBodyBytes: z.coerce.number().int().min(1024).default(1024 * 1024),
  healthTimeoutMs: z.coerce.number().int().min(50).default(2000),
  maxSessions: z.coerce.number().int().min(1).default(64),
  stopGraceMs: z.coerce.number().int().min(0).default(5000),
  childStderr: z.enum(['forward', 'drop']).default('forward'),
  /** Stop cleanly when stdin ends: a local parent (the API) that dies takes its runners with it. */
  stopOnStdinEnd: z.boolean().default(false),
  /** `auto`: probe the stdio server with `server/discover` and speak 2026-07-28 to it when it answers so; `legacy`: never probe. */
  serverEra: z.enum(['auto', 'legacy']).default('auto'),
  probeTimeoutMs: z.coerce.number().int().min(100).default(10_000),
  /** Longest wait for a stdio server's answer to one 2026-07-28 (stateless) request. */
  requestTimeoutMs: z.coerce.number().int().min(100).default(300_000),
  command: z.string().min(1),
  commandArgs: z.array(z.string()),
});
export type RunnerArgs = z.infer<typeof RunnerArgsSchema>;

export const RUNNER_USAGE = `usage: hangar-runner --port 8080 [--host 0.0.0.0] [--token-env HANGAR_RUNNER_TOKEN]
  [--json-response] [--max-body-bytes 1048576] [--health-timeout-ms 2000] [--max-sessions 64]
  [--stop-grace-ms 5000] [--child-stderr forward|drop] [--stop-on-stdin-end] [--server-era auto|legacy]
  [--probe-timeout-ms 10000] [--request-timeout-ms 300000] -- <command> [args...]`;

export class RunnerUsageError extends Error {
  override name = 'RunnerUsageError';
  readonly code = 'runner_usage';
}

/** Parses `hangar-runner` arguments: runner options before `--`, the stdio server's command after it. */
export function parseRunnerArgs(argv: string[]): RunnerArgs {
  const split = argv.indexOf('--');
  if (split === -1 || split === argv.length - 1) throw new RunnerUsageError('missing "-- <command>"');
  const { values } = parseArgs({
    args: argv.slice(0, split),
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'token-env': { type: 'string' },
      'json-response': { type: 'boolean' },
      'max-body-bytes': { type: 'string' },
      'health-timeout-ms': { type: 'string' },
      'max-sessions': { type: 'string' },
      'stop-grace-ms': { type: 'string' },
      'child-stderr': { type: 'string' },
      'stop-on-stdin-end': { type: 'boolean' },
      'server-era': { type: 'string' },
      'probe-timeout-ms': { type: 'string' },
      'request-timeout-ms': { type: 'string' },
    },
  });
  const [command = '', ...commandArgs] = argv.slice(split + 1);
  const parsed = RunnerArgsSchema.safeParse({
    port: values.port,
    host: values.host,
    tokenEnv: values['token-env'],
    jsonResponse: values['json-response'],
    maxBodyBytes: values['max-body-bytes'],
    healthTimeoutMs: values['health-timeout-ms'],
    maxSessions: values['max-sessions'],
    stopGraceMs: values['stop-grace-ms'],
    childStderr: values['child-stderr'],
    stopOnStdinEnd: values['stop-on-stdin-end'],
    serverEra: values['server-era'],
    probeTimeoutMs: values['probe-timeout-ms'],
    requestTimeoutMs: values['request-timeout-ms'],
    command,
    commandArgs,
  });
  if (!parsed.success) {
    throw new RunnerUsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
