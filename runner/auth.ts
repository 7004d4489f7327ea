import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checks `Authorization: Bearer <token>` against the runner token in constant time (both sides hashed
 * to SHA-256 first, so neither the length nor a prefix of the token leaks through timing).
 */
export function createBearerCheck(token: string): (headers: IncomingHttpHeaders) => boolean {
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (headers) => {
    const header = headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
    const presented = createHash('sha256').update(match?.[1] ?? '', 'utf8').digest();
    return timingSafeEqual(expected, presented) && match !== null;
  };
}
