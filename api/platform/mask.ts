/**
 * The one masking rule for anything secret that must still be recognisable in a log: the first three
 * characters, then `*****` (`***` when the value is three characters or shorter).
 */
export function maskSecret(value: string): string {
  return value.length <= 3 ? '***' : `${value.slice(0, 3)}*****`;
}

/** Field names whose values are secret wherever they appear (log objects, error details, env dumps). */
export const SECRET_NAME = /password|passwd|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key|fernet|database[-_]?url/i;

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@\s]+)(@)/gi;
const ASSIGNMENT = /\b([A-Za-z_-]*(?:password|passwd|secret|token|api[-_]?key|credential)[A-Za-z_-]*)(\s*[=:]\s*"?)([^\s"&;,]+)/gi;
const BEARER = /\b(Bearer|FlyV1|Basic)(\s+)([A-Za-z0-9._~+/=-]+)/g;

/**
 * Masks secrets embedded in free text: passwords in URLs (`postgres://u:pw@h`), `name=value` pairs with a
 * secret-looking name, and `Bearer ...` credentials.
 */
export function maskText(value: string): string {
  return value
    .replace(URL_PASSWORD, (_m, head: string, pw: string, at: string) => `${head}${maskSecret(pw)}${at}`)
    .replace(ASSIGNMENT, (_m, name: string, sep: string, secret: string) => `${name}${sep}${maskSecret(secret)}`)
    .replace(BEARER, (_m, scheme: string, space: string, secret: string) => `${scheme}${space}${maskSecret(secret)}`);
}

/**
 * Returns a copy of `input` in which every value under a secret-looking key, and every value listed in
 * `known`, is masked. Used by the logger on every line.
 */
export function maskDeep(input: unknown, known: ReadonlySet<string> = new Set(), depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof input === 'string') return maskKnown(maskText(input), known);
  if (Array.isArray(input)) return input.map((item) => maskDeep(item, known, depth + 1));
  if (input && typeof input === 'object' && !(input instanceof Date)) {
    if (input instanceof Error) {
      // Driver and library errors (they carry a `code`) can quote data: keep the code, drop the text.
      const code = (input as { code?: unknown }).code;
      return typeof code === 'string' || typeof code === 'number'
        ? { type: input.name, code }
        : { type: input.name, message: maskDeep(input.message, known, depth + 1) };
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      out[key] =
        SECRET_NAME.test(key) && value !== null && value !== undefined
          ? typeof value === 'string'
            ? maskSecret(value)
            : '***'
          : maskDeep(value, known, depth + 1);
    }
    return out;
  }
  return input;
}

/** Known secrets shorter than this are not masked inside text: three characters would mask half of every log line. */
export const MIN_KNOWN_SECRET_LENGTH = 4;

/**
 * Masks every occurrence of a known secret in `text`. Longer secrets go first, so one that contains another
 * is masked whole.
 */
export function maskKnown(text: string, known: ReadonlySet<string>): string {
  const found: string[] = [];
  for (const secret of known) {
    if (secret.length >= MIN_KNOWN_SECRET_LENGTH && text.includes(secret)) found.push(secret);
  }
  if (found.length === 0) return text;
  let out = text;
  for (const secret of found.sort((a, b) => b.length - a.length)) out = out.split(secret).join(maskSecret(secret));
  return out;
}

/**
 * The set of secret values the logger masks wherever they appear (`createLogger({ knownSecrets })`). The
 * vault adds every plaintext it decrypts. Bounded: past `maxSize` the least recently added value is
 * forgotten, so a long-running API cannot grow it without limit.
 */
export class SecretRegistry extends Set<string> {
  constructor(readonly maxSize = 2048) {
    super();
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError('SecretRegistry maxSize must be a positive integer');
  }

  /**
   * Registers `value` and its URL-encoded form (how it appears in a query string or connection URL);
   * ignored when too short to mask. Re-adding a value makes it the most recent.
   */
  override add(value: string): this {
    if (typeof value !== 'string' || value.length < MIN_KNOWN_SECRET_LENGTH) return this;
    for (const form of new Set([value, encodeURIComponent(value)])) {
      super.delete(form);
      super.add(form);
    }
    while (this.size > this.maxSize) {
      const oldest = this.values().next();
      if (oldest.done) break;
      super.delete(oldest.value);
    }
    return this;
  }
}
