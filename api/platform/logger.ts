import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { maskDeep } from './mask.ts';

export type Logger = PinoLogger;

/**
 * JSON logs (pino). Every line passes through `maskDeep`: authorization headers, cookies and any field
 * named like a secret are masked, and so is any value the vault registered as secret (`knownSecrets`).
 */
export function createLogger(options: {
  level: string;
  destination?: DestinationStream;
  knownSecrets?: ReadonlySet<string>;
}): Logger {
  const known = options.knownSecrets ?? new Set<string>();
  return pino(
    {
      level: options.level,
      base: { service: 'hangar' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are reduced by maskDeep to type, code and masked message: never a stack trace in a log line.
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => maskDeep(object, known) as Record<string, unknown>,
      },
      hooks: {
        // Messages are masked too: a secret interpolated into a message string must not slip through.
        logMethod(args, method) {
          const masked = args.map((arg) => maskDeep(arg, known)) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
