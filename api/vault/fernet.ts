import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';

/**
 * Fernet (https://github.com/fernet/spec, version 0x80) on node:crypto, strict where the spec says reject:
 * tokens are `0x80 | timestamp(u64 BE, seconds) | IV(16) | AES-128-CBC(PKCS7) ciphertext | HMAC-SHA256(32)`
 * in padded URL-safe base64. Kept here instead of the `fernet` npm package, which decodes malformed tokens
 * (bad padding, wrong IV, partial blocks) to garbage and is slower (see bench/vault).
 */

const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const HMAC_LENGTH = 32;
const BLOCK = 16;
/** How far in the future a token's timestamp may be when a TTL is checked (the spec's reference value). */
export const MAX_CLOCK_SKEW_SECONDS = 60;

export type InvalidTokenReason =
  | 'invalid_base64'
  | 'too_short'
  | 'bad_version'
  | 'bad_block_size'
  | 'expired'
  | 'future_timestamp'
  | 'bad_hmac'
  | 'bad_padding';

/** A token that is not a valid Fernet token under the given key (and TTL); `reason` names the failed check. */
export class InvalidTokenError extends Error {
  readonly code = 'invalid_token';

  constructor(readonly reason: InvalidTokenReason) {
    super(`invalid Fernet token (${reason})`);
    this.name = 'InvalidTokenError';
  }
}

/** A string that is not a Fernet key (32 bytes in padded URL-safe base64). Never quotes the value. */
export class InvalidKeyError extends Error {
  readonly code = 'invalid_fernet_key';

  constructor(detail: string) {
    super(`not a Fernet key: ${detail}`);
    this.name = 'InvalidKeyError';
  }
}

/** A parsed Fernet key: the raw 32 bytes split into its signing (first 16) and encryption (last 16) halves. */
export interface FernetKey {
  readonly raw: Buffer;
  readonly signingKey: Buffer;
  readonly encryptionKey: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes padded URL-safe base64 and refuses anything else: characters outside the alphabet, missing or
 * misplaced padding, and non-canonical encodings (unused bits set). Returns undefined when invalid.
 */
export function decodeBase64UrlStrict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return encodeBase64Url(bytes) === text ? bytes : undefined;
}

/** Padded URL-safe base64, the encoding Fernet uses for keys and tokens. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Parses a key string (as Python's `Fernet.generate_key()` writes it). Throws InvalidKeyError. */
export function parseFernetKey(text: string): FernetKey {
  const raw = decodeBase64UrlStrict(text.trim());
  if (!raw) throw new InvalidKeyError('expected padded URL-safe base64 (44 characters ending in "=")');
  if (raw.length !== 32) throw new InvalidKeyError(`decodes to ${raw.length} bytes, expected 32`);
  return { raw, signingKey: raw.subarray(0, 16), encryptionKey: raw.subarray(16, 32) };
}

/** A fresh random key, in the same format as Python's `Fernet.generate_key()`. */
export function generateFernetKey(): string {
  return encodeBase64Url(randomBytes(32));
}

export interface EncryptOptions {
  /** The token's timestamp source; the system clock when omitted. */
  clock?: Clock;
  /** The IV source (16 bytes); random when omitted. Fixed IVs are for reproducing the spec's vectors only. */
  iv?: () => Uint8Array;
}

/** Encrypts `message` into a Fernet token under `key`. */
export function encryptToken(key: FernetKey, message: Uint8Array | string, options: EncryptOptions = {}): string {
  const plaintext = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const iv = options.iv ? Buffer.from(options.iv()) : randomBytes(16);
  if (iv.length !== 16) throw new RangeError('Fernet IV must be 16 bytes');
  const seconds = Math.floor((options.clock?.now() ?? new Date()).getTime() / 1000);
  const header = Buffer.alloc(HEADER);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(seconds), 1);
  iv.copy(header, 9);
  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, iv);
  const body = Buffer.concat([header, cipher.update(plaintext), cipher.final()]);
  const mac = createHmac('sha256', key.signingKey).update(body).digest();
  return encodeBase64Url(Buffer.concat([body, mac]));
}

export interface DecryptOptions {
  /** Maximum age in seconds; omit (stored data) for no age limit and no timestamp check at all. */
  ttlSeconds?: number;
  /** "Now" for the TTL check. */
  clock?: Clock;
  maxClockSkewSeconds?: number;
}

/** The parts of a structurally valid token, before any key is involved. */
interface TokenParts {
  signed: Buffer;
  timestamp: bigint;
  iv: Buffer;
  ciphertext: Buffer;
  mac: Buffer;
}

function splitToken(token: string): TokenParts {
  const bytes = decodeBase64UrlStrict(token);
  if (!bytes) throw new InvalidTokenError('invalid_base64');
  if (bytes.length < HEADER + HMAC_LENGTH) throw new InvalidTokenError('too_short');
  if (bytes[0] !== VERSION) throw new InvalidTokenError('bad_version');
  const ciphertext = bytes.subarray(HEADER, bytes.length - HMAC_LENGTH);
  if (ciphertext.length % BLOCK !== 0) throw new InvalidTokenError('bad_block_size');
  // PKCS7 always adds at least one byte, so a valid ciphertext is at least one block.
  if (ciphertext.length === 0) throw new InvalidTokenError('too_short');
  return {
    signed: bytes.subarray(0, bytes.length - HMAC_LENGTH),
    timestamp: bytes.readBigUInt64BE(1),
    iv: bytes.subarray(9, HEADER),
    ciphertext,
    mac: bytes.subarray(bytes.length - HMAC_LENGTH),
  };
}

function checkAge(timestamp: bigint, options: DecryptOptions & { ttlSeconds: number }): void {
  const now = BigInt(Math.floor((options.clock?.now() ?? new Date()).getTime() / 1000));
  if (timestamp + BigInt(options.ttlSeconds) < now) throw new InvalidTokenError('expired');
  if (now + BigInt(options.maxClockSkewSeconds ?? MAX_CLOCK_SKEW_SECONDS) < timestamp) {
    throw new InvalidTokenError('future_timestamp');
  }
}

function removePadding(padded: Buffer): Buffer {
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK) throw new InvalidTokenError('bad_padding');
  for (let i = padded.length - pad; i < padded.length; i += 1) {
    if (padded[i] !== pad) throw new InvalidTokenError('bad_padding');
  }
  return padded.subarray(0, padded.length - pad);
}

/**
 * Verifies and decrypts a token, in the spec's order: decode, version, age (only with a TTL), HMAC
 * (constant time), then decrypt and check PKCS7 padding. Throws InvalidTokenError on any failure.
 */
export function decryptToken(key: FernetKey, token: string, options: DecryptOptions = {}): Buffer {
  const parts = splitToken(token);
  if (options.ttlSeconds !== undefined) checkAge(parts.timestamp, { ...options, ttlSeconds: options.ttlSeconds });
  const expected = createHmac('sha256', key.signingKey).update(parts.signed).digest();
  if (!timingSafeEqual(expected, parts.mac)) throw new InvalidTokenError('bad_hmac');
  const decipher = createDecipheriv('aes-128-cbc', key.encryptionKey, parts.iv);
  decipher.setAutoPadding(false);
  return Buffer.from(removePadding(Buffer.concat([decipher.update(parts.ciphertext), decipher.final()])));
}

/** The creation time a structurally valid token records (unauthenticated: check the token before trusting it). */
export function readTokenTime(token: string): Date {
  return new Date(Number(splitToken(token).timestamp) * 1000);
}
