import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.ts';
import { encodeBase64Url, generateFernetKey, parseFernetKey } from './fernet.ts';
import { createKeyRing, keyIdOf, KeyRingError, loadKeyRing } from './keyring.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-keyring-'));
  dirs.push(dir);
  return dir;
}

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  return { logger: createLogger({ level: 'info', destination }), lines };
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('createKeyRing', () => {
  it('puts the first key first and names every key by a 12-hex fingerprint of its raw bytes', () => {
    const [newest, older] = [generateFernetKey(), generateFernetKey()];
    const ring = createKeyRing([newest, older]);
    expect(ring.current.id).toBe(keyIdOf(parseFernetKey(newest)));
    expect(ring.keys.map((k) => k.id)).toEqual([keyIdOf(parseFernetKey(newest)), keyIdOf(parseFernetKey(older))]);
    expect(ring.current.id).toMatch(/^[0-9a-f]{12}$/);
    // Stable across processes and languages: sha256(urlsafe_b64decode(key)).hexdigest()[:12] in Python.
    expect(keyIdOf(parseFernetKey('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='))).toBe('cbeb362f1fa6');
  });

  it('names FERNET_KEYS, the bad position and how to generate a key, without quoting the key', () => {
    const bad = encodeBase64Url(Buffer.alloc(24, 9));
    const error = errorOf(() => createKeyRing([generateFernetKey(), bad]));
    expect(error).toBeInstanceOf(KeyRingError);
    expect(error.message).toContain('FERNET_KEYS: key 2 of 2 is not a Fernet key: decodes to 24 bytes, expected 32');
    expect(error.message).toContain("randomBytes(32).toString('base64url')+'='");
    expect(error.message).toContain('Fernet.generate_key()');
    expect(error.message).not.toContain(bad);
    const twice = generateFernetKey();
    expect(errorOf(() => createKeyRing([twice, twice])).message).toMatch(/key 2 of 2 repeats an earlier key/);
    expect(errorOf(() => createKeyRing([])).message).toMatch(/^FERNET_KEYS: no key given/);
  });
});

describe('loadKeyRing', () => {
  it('uses FERNET_KEYS when given, in either database mode, and writes no key file', async () => {
    const dataDir = tempDir();
    const key = generateFernetKey();
    const { logger } = captureLogger();
    for (const databaseKind of ['embedded', 'external'] as const) {
      const ring = await loadKeyRing({ fernetKeys: [key], databaseKind, dataDir, logger });
      expect(ring.current.id).toBe(keyIdOf(parseFernetKey(key)));
    }
    expect(() => statSync(join(dataDir, 'fernet.key'))).toThrow();
  });

  it('refuses to start with an external database and no key, and says how to make one', async () => {
    const { logger } = captureLogger();
    const attempt = loadKeyRing({ fernetKeys: undefined, databaseKind: 'external', dataDir: tempDir(), logger });
    await expect(attempt).rejects.toThrow(KeyRingError);
    await expect(attempt).rejects.toThrow(/FERNET_KEYS is required with an external database .*Generate a key with: node -e/);
  });

  it('rejects an invalid FERNET_KEYS value in the external mode', async () => {
    const { logger } = captureLogger();
    await expect(
      loadKeyRing({ fernetKeys: ['short'], databaseKind: 'external', dataDir: tempDir(), logger }),
    ).rejects.toThrow(/FERNET_KEYS: key 1 of 1 is not a Fernet key/);
  });

  it('generates a key once in the embedded mode (mode 0600), says so, and reuses it', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = captureLogger();
    const ring = await loadKeyRing({ fernetKeys: undefined, databaseKind: 'embedded', dataDir, logger: first.logger });
    const file = join(dataDir, 'fernet.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}=\n$/);
    expect(ring.current.id).toBe(keyIdOf(parseFernetKey(text.trim())));
    expect(first.lines.map((l) => l.msg)).toContain(
      'generated a Fernet key for the local vault (kept in the data directory; set FERNET_KEYS to use your own)',
    );
    expect(JSON.stringify(first.lines)).not.toContain(text.trim());

    const second = captureLogger();
    const again = await loadKeyRing({ fernetKeys: undefined, databaseKind: 'embedded', dataDir, logger: second.logger });
    expect(again.current.id).toBe(ring.current.id);
    expect(second.lines.map((l) => l.msg)).toEqual(['vault key loaded from the data directory']);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('tightens a key file readable by others, and refuses a corrupt one instead of replacing it', async () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'fernet.key');
    writeFileSync(file, `${generateFernetKey()}\n`);
    chmodSync(file, 0o644);
    const { logger, lines } = captureLogger();
    await loadKeyRing({ fernetKeys: undefined, databaseKind: 'embedded', dataDir, logger });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(lines[0]?.level).toBe('warn');

    writeFileSync(file, 'garbage\n', { mode: 0o600 });
    await expect(loadKeyRing({ fernetKeys: undefined, databaseKind: 'embedded', dataDir, logger })).rejects.toThrow(
      `${file}: key 1 of 1 is not a Fernet key`,
    );
    expect(readFileSync(file, 'utf8')).toBe('garbage\n');
  });

  it('warns when FERNET_KEYS leaves out the key an embedded data directory was using', async () => {
    const dataDir = tempDir();
    const { logger, lines } = captureLogger();
    const generated = await loadKeyRing({ fernetKeys: undefined, databaseKind: 'embedded', dataDir, logger });
    lines.length = 0;
    await loadKeyRing({ fernetKeys: [generateFernetKey()], databaseKind: 'embedded', dataDir, logger });
    expect(lines[0]).toMatchObject({ level: 'warn', keyId: generated.current.id });
  });
});
