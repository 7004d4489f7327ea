import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export type IdPrefix = 'usr' | 'team' | 'dep' | 'key' | 'cred' | 'ses' | 'tok' | 'inv' | 'tpl' | 'tv' | 'mail' | 'req' | 'ogr' | 'oac';

/** An opaque id with a type prefix (`dep_...`): 80 random bits, so ids are unguessable as well as unique. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base32(randomBytes(10))}`;
}

/** A secret token with a visible prefix (`hgr_...`): 160 random bits. Show it once; store only its hash. */
export function newSecretToken(prefix: string): string {
  return `${prefix}${base32(randomBytes(20))}`;
}

/** SHA-256 of a token, hex: what Hangar stores in place of any session, key or email token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
