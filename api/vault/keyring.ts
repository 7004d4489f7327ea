import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../platform/logger.ts';
import { generateFernetKey, InvalidKeyError, parseFernetKey, type FernetKey } from './fernet.ts';

/** One key of the ring and its id: a fingerprint that names the key in the database, never the key itself. */
export interface KeyRingEntry {
  readonly id: string;
  readonly key: FernetKey;
}

/** The keys Hangar holds, newest first: encrypt with `current`, decrypt with whichever key a value names. */
export interface KeyRing {
  readonly current: KeyRingEntry;
  readonly keys: readonly KeyRingEntry[];
}

/** FERNET_KEYS (or the generated key file) does not give Hangar a usable key; the message says how to fix it. */
export class KeyRingError extends Error {
  readonly code = 'fernet_keys_invalid';

  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

export const KEY_FILE_NAME = 'fernet.key';

const HOW_TO_GENERATE =
  'Generate a key with: node -e "console.log(require(\'crypto\').randomBytes(32).toString(\'base64url\')+\'=\')" ' +
  '(or Python: from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())), ' +
  'then set FERNET_KEYS=<new key>[,<older keys>...] (newest first; on Fly: fly secrets set FERNET_KEYS=...).';

/** The id stored beside every ciphertext: the first 12 hex characters of SHA-256 of the raw 32-byte key. */
export function keyIdOf(key: FernetKey): string {
  return createHash('sha256').update(key.raw).digest('hex').slice(0, 12);
}

/** Builds a ring from key strings, newest first; `source` names where they came from in error messages. */
export function createKeyRing(keyTexts: readonly string[], source = 'FERNET_KEYS'): KeyRing {
  if (keyTexts.length === 0) throw new KeyRingError(`${source}: no key given. ${HOW_TO_GENERATE}`);
  const keys: KeyRingEntry[] = [];
  keyTexts.forEach((text, index) => {
    let key: FernetKey;
    try {
      key = parseFernetKey(text);
    } catch (error) {
      const detail = error instanceof InvalidKeyError ? error.message : 'not a Fernet key';
      throw new KeyRingError(`${source}: key ${index + 1} of ${keyTexts.length} is ${detail}. ${HOW_TO_GENERATE}`);
    }
    const id = keyIdOf(key);
    if (keys.some((k) => k.id === id)) {
      throw new KeyRingError(`${source}: key ${index + 1} of ${keyTexts.length} repeats an earlier key (id ${id})`);
    }
    keys.push({ id, key });
  });
  return { current: keys[0] as KeyRingEntry, keys };
}

export interface LoadKeyRingOptions {
  fernetKeys: readonly string[] | undefined;
  databaseKind: 'embedded' | 'external';
  /** Where the embedded mode keeps its generated key (`<dataDir>/fernet.key`). */
  dataDir: string;
  logger: Logger;
}

async function readKeyFile(path: string, logger: Logger): Promise<KeyRing | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw new KeyRingError(`cannot read the Fernet key file ${path} (${(error as { code?: string }).code ?? 'error'})`);
  }
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    await chmod(path, 0o600);
    logger.warn({ path, mode: mode.toString(8) }, 'Fernet key file was readable by others; restricted it to mode 600');
  }
  return createKeyRing([text.trim()], path);
}

/**
 * Creates `<dataDir>/fernet.key` (mode 0600) with a fresh key unless it already exists. `wx` makes creation
 * atomic, so two processes starting at once end up sharing one key.
 */
async function generateKeyFile(path: string, dataDir: string, logger: Logger): Promise<KeyRing> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${generateFernetKey()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  const ring = await readKeyFile(path, logger);
  if (!ring) throw new KeyRingError(`the Fernet key file ${path} vanished while it was being created`);
  return ring;
}

/**
 * The key ring for this process. FERNET_KEYS wins when set. With an external database it is required (no
 * fallback key, ever). In the embedded mode without it, a key is generated once into `<dataDir>/fernet.key`
 * and reused on every later start.
 */
export async function loadKeyRing(options: LoadKeyRingOptions): Promise<KeyRing> {
  const keyFile = join(options.dataDir, KEY_FILE_NAME);
  if (options.fernetKeys && options.fernetKeys.length > 0) {
    const ring = createKeyRing(options.fernetKeys);
    if (options.databaseKind === 'embedded') {
      const fileRing = await readKeyFile(keyFile, options.logger).catch(() => undefined);
      if (fileRing && !ring.keys.some((k) => k.id === fileRing.current.id)) {
        options.logger.warn(
          { path: keyFile, keyId: fileRing.current.id },
          'FERNET_KEYS does not include the generated key file; values encrypted under it stay unreadable until it is added as the last key',
        );
      }
    }
    options.logger.info({ keyId: ring.current.id, keys: ring.keys.length }, 'vault keys loaded from FERNET_KEYS');
    return ring;
  }
  if (options.databaseKind === 'external') {
    throw new KeyRingError(
      `FERNET_KEYS is required with an external database (DATABASE_URL is set); Hangar has no built-in key. ${HOW_TO_GENERATE}`,
    );
  }
  const existing = await readKeyFile(keyFile, options.logger);
  if (existing) {
    options.logger.info({ path: keyFile, keyId: existing.current.id }, 'vault key loaded from the data directory');
    return existing;
  }
  const ring = await generateKeyFile(keyFile, options.dataDir, options.logger);
  options.logger.info(
    { path: keyFile, keyId: ring.current.id },
    'generated a Fernet key for the local vault (kept in the data directory; set FERNET_KEYS to use your own)',
  );
  return ring;
}
