/** Exit codes every command keeps to. */
export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, auth: 4 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and an exit code, never as a stack trace. */
export class CliError extends Error {
  readonly code: string = 'cli_error';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad command line: exit 2 with the command's usage. */
export class UsageError extends CliError {
  override readonly code = 'usage';
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** An error answer from the Hangar API, carrying its code and request id. */
export class ApiError extends CliError {
  override readonly code: string;
  constructor(
    readonly status: number,
    apiCode: string,
    message: string,
    readonly requestId: string | undefined,
  ) {
    super(message, exitCodeForStatus(status), hintForStatus(status));
    this.code = apiCode;
    this.name = 'ApiError';
  }
}

/** 401/403 are authentication problems (4), 404 not found (3), anything else a plain error (1). */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  return EXIT.error;
}

function hintForStatus(status: number): string | undefined {
  if (status === 401) return 'Run `hangar login` (or set HANGAR_API_KEY).';
  return undefined;
}

/** The one line printed for an error: message, API code and request id when known. */
export function describeError(error: unknown): { text: string; exitCode: ExitCode; hint?: string } {
  if (error instanceof ApiError) {
    const detail = [error.code, error.requestId ? `request ${error.requestId}` : undefined].filter(Boolean).join(', ');
    return { text: `${error.message} (${detail})`, exitCode: error.exitCode, hint: error.hint };
  }
  if (error instanceof CliError) return { text: error.message, exitCode: error.exitCode, hint: error.hint };
  const code = (error as { code?: string } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return { text: (error as Error).message, exitCode: EXIT.usage };
  // A TypeError from reading an answer means the server sent a shape Hangar never sends.
  if (error instanceof TypeError) {
    return { text: 'The server’s answer is not what Hangar sends', exitCode: EXIT.error, hint: 'Check HANGAR_URL or `hangar login --url`.' };
  }
  return { text: 'Unexpected error: ' + (error instanceof Error ? error.message : String(error)), exitCode: EXIT.error };
}
