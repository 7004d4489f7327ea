import { createHmac } from 'node:crypto';
import type { Clock } from '../platform/clock.ts';
import type { SecretRegistry } from '../platform/mask.ts';
import { decryptToken, encryptToken, InvalidTokenError, type InvalidTokenReason } from './fernet.ts';
import type { KeyRing, KeyRingEntry } from './keyring.ts';

/** An encrypted value as the database keeps it: the Fernet token and the id of the key that made it. */
export interface StoredSecret {
  ciphertext: string;
  keyId: string;
}

export type VaultDecryptReason = InvalidTokenReason | 'unknown_key' | 'not_utf8';

/**
 * A stored value no key of the ring can open. `reason` says why (e.g. `unknown_key`: its key was removed
 * from FERNET_KEYS before rotation finished). Carries no ciphertext and no plaintext.
 */
export class VaultDecryptError extends Error {
  readonly code = 'vault_decrypt_failed';

  constructor(
    readonly reason: VaultDecryptReason,
    readonly keyId: string,
  ) {
    super(
      reason === 'unknown_key'
        ? `no key in FERNET_KEYS opens a value stored under key id ${keyId} (was the key removed before rotation?)`
        : `stored value under key id ${keyId} cannot be decrypted (${reason})`,
    );
    this.name = 'VaultDecryptError';
  }
}

export interface VaultOptions {
  /** Every plaintext `decrypt` returns is added here, so the logger masks it wherever it shows up. */
  secrets?: SecretRegistry;
  /** Timestamps of new tokens. */
  clock?: Clock;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encrypts and decrypts stored secrets with the key ring (MultiFernet semantics): new values under the
 * newest key, old values with the key their `keyId` names, falling back to every other key. Transport-free:
 * the credentials API, the launcher, settings and `rotateVault` all go through it.
 */
export class Vault {
  constructor(
    private readonly ring: KeyRing,
    private readonly options: VaultOptions = {},
  ) {}

  /** The id new ciphertexts are stored with; a value under another id is due for rotation. */
  get currentKeyId(): string {
    return this.ring.current.id;
  }

  /** Ids of every key this vault can decrypt with, newest first. */
  get keyIds(): string[] {
    return this.ring.keys.map((k) => k.id);
  }

  /** Encrypts `plaintext` under the newest key. */
  encrypt(plaintext: string): StoredSecret {
    const ciphertext = encryptToken(this.ring.current.key, plaintext, { clock: this.options.clock });
    return { ciphertext, keyId: this.ring.current.id };
  }

  /** Decrypts a stored value (no TTL: stored data does not expire) and registers the plaintext for masking. */
  decrypt(stored: StoredSecret): string {
    const plaintext = this.open(stored);
    this.options.secrets?.add(plaintext);
    return plaintext;
  }

  /** True when `stored` is not under the newest key. */
  /**
   * A keyed digest (HMAC-SHA256 under a key derived from the newest Fernet key) for values Hangar must
   * compare later but must not be able to reverse offline, e.g. request bodies carrying inline secrets.
   */
  keyedDigest(text: string): string {
    const derived = createHmac('sha256', this.ring.current.key.signingKey).update('hangar-keyed-digest-v1').digest();
    return createHmac('sha256', derived).update(text, 'utf8').digest('hex');
  }

  needsRotation(stored: Pick<StoredSecret, 'keyId'>): boolean {
    return stored.keyId !== this.ring.current.id;
  }

  /**
   * Re-encrypts a stored value under the newest key (for rotation). The plaintext goes straight back into
   * a token and is not registered for masking: nothing on the rotation path logs values.
   */
  reencrypt(stored: StoredSecret): StoredSecret {
    return this.encrypt(this.open(stored));
  }

  private open(stored: StoredSecret): string {
    const named = this.ring.keys.find((k) => k.id === stored.keyId);
    const order: KeyRingEntry[] = named ? [named, ...this.ring.keys.filter((k) => k !== named)] : [...this.ring.keys];
    let lastReason: VaultDecryptReason = 'unknown_key';
    for (const entry of order) {
      let bytes: Buffer;
      try {
        bytes = decryptToken(entry.key, stored.ciphertext);
      } catch (error) {
        if (!(error instanceof InvalidTokenError)) throw error;
        // Only a MAC mismatch can mean "another key": malformed tokens fail the same way under every key.
        if (error.reason !== 'bad_hmac') throw new VaultDecryptError(error.reason, stored.keyId);
        lastReason = named ? 'bad_hmac' : 'unknown_key';
        continue;
      }
      try {
        return UTF8.decode(bytes);
      } catch {
        throw new VaultDecryptError('not_utf8', stored.keyId);
      }
    }
    throw new VaultDecryptError(lastReason, stored.keyId);
  }
}
