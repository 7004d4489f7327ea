import { createCipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import {
  decodeBase64UrlStrict,
  decryptToken,
  encodeBase64Url,
  encryptToken,
  generateFernetKey,
  InvalidKeyError,
  InvalidTokenError,
  parseFernetKey,
  type FernetKey,
  type InvalidTokenReason,
} from './fernet.ts';
import generate from './fixtures/spec/generate.json' with { type: 'json' };
import invalid from './fixtures/spec/invalid.json' with { type: 'json' };
import verify from './fixtures/spec/verify.json' with { type: 'json' };

const SPEC_REASONS: Record<string, InvalidTokenReason> = {
  'incorrect mac': 'bad_hmac',
  'too short': 'too_short',
  'invalid base64': 'invalid_base64',
  'payload size not multiple of block size': 'bad_block_size',
  'payload padding error': 'bad_padding',
  'far-future TS (unacceptable clock skew)': 'future_timestamp',
  'expired TTL': 'expired',
  'incorrect IV (causes padding error)': 'bad_padding',
};

function reasonOf(run: () => unknown): InvalidTokenReason | 'no error' {
  try {
    run();
    return 'no error';
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.reason;
    throw error;
  }
}

/** Builds a token by hand (version, timestamp, IV, raw ciphertext) and signs it, so each check is reached. */
function forge(key: FernetKey, ciphertext: Buffer, options: { version?: number; iv?: Buffer; seconds?: number } = {}): string {
  const header = Buffer.alloc(25);
  header[0] = options.version ?? 0x80;
  header.writeBigUInt64BE(BigInt(options.seconds ?? 1_700_000_000), 1);
  (options.iv ?? Buffer.alloc(16, 7)).copy(header, 9);
  const body = Buffer.concat([header, ciphertext]);
  return encodeBase64Url(Buffer.concat([body, createHmac('sha256', key.signingKey).update(body).digest()]));
}

function rawCbc(key: FernetKey, padded: Buffer, iv = Buffer.alloc(16, 7)): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key.encryptionKey, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]);
}

describe('Fernet spec vectors', () => {
  it.each(generate)('generates the published token for "$src"', (vector) => {
    const token = encryptToken(parseFernetKey(vector.secret), vector.src, {
      clock: new ManualClock(new Date(vector.now)),
      iv: () => Uint8Array.from(vector.iv),
    });
    expect(token).toBe(vector.token);
  });

  it.each(verify)('verifies the published token for "$src"', (vector) => {
    const plaintext = decryptToken(parseFernetKey(vector.secret), vector.token, {
      ttlSeconds: vector.ttl_sec,
      clock: new ManualClock(new Date(vector.now)),
    });
    expect(plaintext.toString('utf8')).toBe(vector.src);
  });

  it.each(invalid)('rejects "$desc" with its own reason', (vector) => {
    const expected = SPEC_REASONS[vector.desc];
    expect(expected).toBeDefined();
    const reason = reasonOf(() =>
      decryptToken(parseFernetKey(vector.secret), vector.token, {
        ttlSeconds: vector.ttl_sec,
        clock: new ManualClock(new Date(vector.now)),
      }),
    );
    expect(reason).toBe(expected);
  });

  it('covers every invalid vector of the spec', () => {
    expect(invalid.map((v) => v.desc).sort()).toEqual(Object.keys(SPEC_REASONS).sort());
  });
});

describe('decryptToken', () => {
  const key = parseFernetKey(generateFernetKey());
  const token = encryptToken(key, 'ghp_exampletoken');

  it('round-trips bytes of every padding length, with no TTL for stored data years later', () => {
    const old = new ManualClock(Date.UTC(2020, 0, 1));
    for (let length = 0; length <= 33; length += 1) {
      const message = Buffer.alloc(length, length);
      const sealed = encryptToken(key, message, { clock: old });
      expect(decryptToken(key, sealed).equals(message)).toBe(true);
    }
  });

  it('rejects trailing data after the padding and stray characters (spec: reject invalid base64)', () => {
    expect(reasonOf(() => decryptToken(key, `${token}AAAA`))).toBe('invalid_base64');
    const bytes = decodeBase64UrlStrict(token) ?? Buffer.alloc(0);
    expect(reasonOf(() => decryptToken(key, encodeBase64Url(Buffer.concat([bytes, Buffer.alloc(4)]))))).toBe('bad_block_size');
    expect(reasonOf(() => decryptToken(key, encodeBase64Url(Buffer.concat([bytes, Buffer.alloc(16)]))))).toBe('bad_hmac');
    expect(reasonOf(() => decryptToken(key, `${token}=`))).toBe('invalid_base64');
    expect(reasonOf(() => decryptToken(key, `${token}\n`))).toBe('invalid_base64');
    expect(reasonOf(() => decryptToken(key, ` ${token}`))).toBe('invalid_base64');
    expect(reasonOf(() => decryptToken(key, token.replace(/=+$/, '')))).toBe('invalid_base64');
    let urlSafe = token;
    while (!/[-_]/.test(urlSafe)) urlSafe = encryptToken(key, 'ghp_exampletoken');
    expect(reasonOf(() => decryptToken(key, urlSafe.replace(/-/g, '+').replace(/_/g, '/')))).toBe('invalid_base64');
    expect(reasonOf(() => decryptToken(key, `${token.slice(0, 10)}.${token.slice(11)}`))).toBe('invalid_base64');
  });

  it('rejects a wrong version, a short token, a partial block, a bad MAC and bad padding', () => {
    const oneBlock = rawCbc(key, Buffer.from('0123456789abcdef0123456789abcde\x01'));
    expect(reasonOf(() => decryptToken(key, forge(key, oneBlock, { version: 0x81 })))).toBe('bad_version');
    expect(reasonOf(() => decryptToken(key, encodeBase64Url(Buffer.alloc(56, 0x80))))).toBe('too_short');
    expect(reasonOf(() => decryptToken(key, forge(key, Buffer.concat([oneBlock, Buffer.alloc(5)]))))).toBe('bad_block_size');
    expect(reasonOf(() => decryptToken(key, forge(key, Buffer.alloc(0))))).toBe('too_short');
    expect(reasonOf(() => decryptToken(parseFernetKey(generateFernetKey()), token))).toBe('bad_hmac');
    const zeroPad = rawCbc(key, Buffer.from('0123456789abcde\x00'));
    const overPad = rawCbc(key, Buffer.from('0123456789abcde\x11'));
    const mixedPad = rawCbc(key, Buffer.from('0123456789abc\x02\x03\x03'));
    for (const ciphertext of [zeroPad, overPad, mixedPad]) {
      expect(reasonOf(() => decryptToken(key, forge(key, ciphertext)))).toBe('bad_padding');
    }
    expect(decryptToken(key, forge(key, oneBlock)).toString()).toBe('0123456789abcdef0123456789abcde');
  });

  it('applies a TTL and the clock skew only when asked', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const sealed = encryptToken(key, 'x', { clock });
    clock.advance(120_000);
    expect(reasonOf(() => decryptToken(key, sealed, { ttlSeconds: 60, clock }))).toBe('expired');
    expect(decryptToken(key, sealed, { ttlSeconds: 120, clock }).toString()).toBe('x');
    const future = encryptToken(key, 'x', { clock: new ManualClock(Date.UTC(2026, 0, 1, 0, 5)) });
    expect(reasonOf(() => decryptToken(key, future, { ttlSeconds: 600, clock }))).toBe('future_timestamp');
    expect(decryptToken(key, future).toString()).toBe('x');
  });

  it('typed errors name the class of failure and never quote the token', () => {
    try {
      decryptToken(parseFernetKey(generateFernetKey()), token);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect((error as InvalidTokenError).code).toBe('invalid_token');
      expect((error as Error).message).toBe('invalid Fernet token (bad_hmac)');
      expect((error as Error).message).not.toContain(token.slice(0, 20));
    }
  });
});

describe('keys', () => {
  it('generates 32 random bytes in the Python format and parses them back', () => {
    const text = generateFernetKey();
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(parseFernetKey(text).raw.length).toBe(32);
    expect(generateFernetKey()).not.toBe(text);
  });

  it('rejects wrong lengths and non-canonical encodings with a message that does not quote the key', () => {
    const tooShort = encodeBase64Url(Buffer.alloc(16, 1));
    expect(() => parseFernetKey(tooShort)).toThrow(new InvalidKeyError('decodes to 16 bytes, expected 32'));
    expect(() => parseFernetKey('not a key')).toThrow(InvalidKeyError);
    const valid = generateFernetKey();
    expect(() => parseFernetKey(valid.slice(0, 43))).toThrow(InvalidKeyError);
    expect(decodeBase64UrlStrict('AB==')).toBeUndefined();
    expect(decodeBase64UrlStrict('AA==')?.equals(Buffer.from([0]))).toBe(true);
  });
});
