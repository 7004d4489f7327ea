import { execFileSync, spawnSync } from 'node:child_process';
import fernet from 'fernet';
import { describe, expect, it } from 'vitest';
import { decryptToken, encryptToken, generateFernetKey, InvalidTokenError, parseFernetKey } from './fernet.ts';
import python from './fixtures/python/python-tokens.json' with { type: 'json' };
import invalid from './fixtures/spec/invalid.json' with { type: 'json' };

const MESSAGES = ['', 'hello', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'exactly 16 bytes', 'ünïcødé ✓ 密钥 🔑', 'x'.repeat(32768)];

const pythonReady =
  spawnSync('python3', ['-c', 'import cryptography.fernet'], { stdio: 'ignore' }).status === 0;

/** Asks Python's `cryptography` to decrypt `tokens` under `key` (no TTL); null where Python rejects a token. */
function decryptInPython(key: string, tokens: string[]): (string | null)[] {
  const script = [
    'import json, sys',
    'from cryptography.fernet import Fernet, InvalidToken',
    'job = json.load(sys.stdin)',
    'f = Fernet(job["key"].encode())',
    'out = []',
    'for t in job["tokens"]:',
    '    try: out.append(f.decrypt(t.encode()).decode("utf-8"))',
    '    except InvalidToken: out.append(None)',
    'json.dump(out, sys.stdout)',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify({ key, tokens }), encoding: 'utf8' }));
}

function reasonOf(key: string, token: string): string {
  try {
    decryptToken(parseFernetKey(key), token);
    return 'no error';
  } catch (error) {
    return error instanceof InvalidTokenError ? error.reason : 'other error';
  }
}

describe('interop with Python cryptography (committed fixtures)', () => {
  it.each(python.cases.map((c) => ({ ...c, length: c.plaintext.length })))(
    'decrypts a Python-made token of $length characters',
    (fixture) => {
      expect(decryptToken(parseFernetKey(fixture.key), fixture.token).toString('utf8')).toBe(fixture.plaintext);
    },
  );

  it('decrypts a token MultiFernet.rotate() re-encrypted, and only under the rotated-to key', () => {
    const { key, plaintext, token } = python.multiFernetRotated;
    expect(decryptToken(parseFernetKey(key), token).toString('utf8')).toBe(plaintext);
    const other = python.keys.find((k) => k !== key) ?? '';
    expect(reasonOf(other, token)).toBe('bad_hmac');
  });
});

describe.skipIf(!pythonReady)('interop with Python cryptography (live python3)', () => {
  it('Python decrypts tokens Hangar made, with a Python-generated key and with a Hangar-generated one', () => {
    for (const key of [python.keys[0] ?? '', generateFernetKey()]) {
      const tokens = MESSAGES.map((m) => encryptToken(parseFernetKey(key), m));
      expect(decryptInPython(key, tokens)).toEqual(MESSAGES);
    }
  });

  it('Python, like Hangar, rejects the malformed tokens of the spec', () => {
    const rejected = invalid.filter((v) => !['expired TTL', 'far-future TS (unacceptable clock skew)'].includes(v.desc));
    const key = rejected[0]?.secret ?? '';
    expect(decryptInPython(key, rejected.map((v) => v.token))).toEqual(rejected.map(() => null));
    for (const v of rejected) expect(reasonOf(key, v.token)).not.toBe('no error');
  });
});
if (!pythonReady) {
  console.warn('fernet-interop: python3 with the cryptography package is missing; live Python interop tests skipped');
}

describe('cross-check with the fernet npm package (0.4.x)', () => {
  it('each reads the tokens the other writes (package TTL set to 0: stored data has no age limit)', () => {
    const key = generateFernetKey();
    const secret = new fernet.Secret(key);
    for (const message of MESSAGES.slice(1)) {
      const ours = encryptToken(parseFernetKey(key), message);
      expect(new fernet.Token({ secret, token: ours, ttl: 0 }).decode()).toBe(message);
      const theirs = new fernet.Token({ secret, ttl: 0 }).encode(message);
      expect(decryptToken(parseFernetKey(key), theirs).toString('utf8')).toBe(message);
    }
  });

  it('rejects the malformed tokens the package decodes to garbage or ignores', () => {
    const spec = (desc: string) => invalid.find((v) => v.desc === desc)?.token ?? '';
    const key = invalid[0]?.secret ?? '';
    const good = encryptToken(parseFernetKey(key), 'hello');
    const cases: [string, string][] = [
      [spec('payload size not multiple of block size'), 'bad_block_size'],
      [spec('payload padding error'), 'bad_padding'],
      [spec('incorrect IV (causes padding error)'), 'bad_padding'],
      [`${good}\n`, 'invalid_base64'],
      [`${good}%%`, 'invalid_base64'],
      [` ${good}`, 'invalid_base64'],
      [good.replace(/=+$/, ''), 'invalid_base64'],
    ];
    for (const [token, reason] of cases) {
      expect(() => new fernet.Token({ secret: new fernet.Secret(key), token, ttl: 0 }).decode()).not.toThrow();
      expect(reasonOf(key, token)).toBe(reason);
    }
  });
});
