/** Reading the server's stderr out of the local runner's log lines, for an exit's `lastLines`. */

/** Stderr lines an exit carries at most. */
export const LAST_LINES = 20;

/** The stderr line in one runner log line (`"msg":"server stderr"`), or undefined for any other line. */
export function serverStderrOf(output: string): string | undefined {
  if (!output.includes('"server stderr"')) return undefined;
  try {
    const entry = JSON.parse(output) as { msg?: unknown; line?: unknown };
    return entry.msg === 'server stderr' && typeof entry.line === 'string' ? entry.line : undefined;
  } catch {
    return undefined;
  }
}
