import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.ts';
import { SecretRegistry } from '../platform/mask.ts';
import { encryptToken, generateFernetKey, parseFernetKey, readTokenTime } from './fernet.ts';
import { createKeyRing } from './keyring.ts';
import { Vault, VaultDecryptError } from './vault.ts';

const [NEW, OLD, OTHER] = [generateFernetKey(), generateFernetKey(), generateFernetKey()];

function decryptError(vault: Vault, stored: { ciphertext: string; keyId: string }): VaultDecryptError {
  try {
    vault.decrypt(stored);
  } catch (error) {
    if (error instanceof VaultDecryptError) return error;
    throw error;
  }
  throw new Error('expected a VaultDecryptError');
}

describe('Vault', () => {
  it('encrypts under the newest key and stores its id', () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const vault = new Vault(createKeyRing([NEW, OLD]), { clock });
    const stored = vault.encrypt('ghp_value');
    expect(stored.keyId).toBe(vault.currentKeyId);
    expect(vault.keyIds).toEqual([vault.currentKeyId, createKeyRing([OLD]).current.id]);
    expect(stored.ciphertext).not.toContain('ghp_value');
    expect(readTokenTime(stored.ciphertext).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(vault.decrypt(stored)).toBe('ghp_value');
  });

  it('reads values written under an older key of the ring (MultiFernet), years later', () => {
    const before = new Vault(createKeyRing([OLD]), { clock: new ManualClock(Date.UTC(2020, 0, 1)) });
    const stored = before.encrypt('postgres://u:p@h/db');
    const after = new Vault(createKeyRing([NEW, OLD]));
    expect(after.needsRotation(stored)).toBe(true);
    expect(after.decrypt(stored)).toBe('postgres://u:p@h/db');
    // A wrong or missing key id falls back to trying every key.
    expect(after.decrypt({ ciphertext: stored.ciphertext, keyId: after.currentKeyId })).toBe('postgres://u:p@h/db');
    expect(after.decrypt({ ciphertext: stored.ciphertext, keyId: 'unknown00000' })).toBe('postgres://u:p@h/db');
  });

  it('re-encrypts under the newest key, after which the old key can go', () => {
    const stored = new Vault(createKeyRing([OLD])).encrypt('s3cret-value');
    const vault = new Vault(createKeyRing([NEW, OLD]));
    const rotated = vault.reencrypt(stored);
    expect(rotated.keyId).toBe(vault.currentKeyId);
    expect(vault.needsRotation(rotated)).toBe(false);
    expect(new Vault(createKeyRing([NEW])).decrypt(rotated)).toBe('s3cret-value');
  });

  it('fails with a typed reason when no key opens a value, or when the token is malformed', () => {
    const stored = new Vault(createKeyRing([OLD])).encrypt('value');
    const withoutOld = new Vault(createKeyRing([NEW, OTHER]));
    const unknown = decryptError(withoutOld, stored);
    expect(unknown.reason).toBe('unknown_key');
    expect(unknown.code).toBe('vault_decrypt_failed');
    expect(unknown.message).toBe(
      `no key in FERNET_KEYS opens a value stored under key id ${stored.keyId} (was the key removed before rotation?)`,
    );
    expect(decryptError(withoutOld, { ...stored, keyId: withoutOld.currentKeyId }).reason).toBe('bad_hmac');
    expect(decryptError(withoutOld, { ...stored, ciphertext: `${stored.ciphertext}\n` }).reason).toBe('invalid_base64');
    const binary = encryptToken(parseFernetKey(NEW), Buffer.from([0xff, 0xfe]));
    expect(decryptError(withoutOld, { ciphertext: binary, keyId: withoutOld.currentKeyId }).reason).toBe('not_utf8');
  });

  it('registers every decrypted plaintext for log masking, but not what it only encrypts or rotates', () => {
    const secrets = new SecretRegistry();
    const vault = new Vault(createKeyRing([NEW, OLD]), { secrets });
    const stored = vault.encrypt('ghp_registered_value');
    expect(secrets.has('ghp_registered_value')).toBe(false);
    vault.reencrypt(new Vault(createKeyRing([OLD])).encrypt('rotated-only-value'));
    expect(secrets.has('rotated-only-value')).toBe(false);
    expect(vault.decrypt(stored)).toBe('ghp_registered_value');
    expect([...secrets]).toEqual(['ghp_registered_value']);
  });
});
