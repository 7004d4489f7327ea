import type { Db } from '../db/pool.ts';
import type { Vault } from '../vault/vault.ts';

/**
 * Global settings whose values are secret: stored only as vault ciphertext (`settings.ciphertext`,
 * `settings.key_id`, `value` NULL), shown only masked, rotated with every other ciphertext
 * (api/vault/rotate.ts walks the `settings` table). Name in the API -> key of its row.
 */
export const SENSITIVE_SETTING_KEYS = { smtpPassword: 'smtp.password' } as const;

export type SensitiveSettingName = keyof typeof SENSITIVE_SETTING_KEYS;

export const SENSITIVE_SETTING_NAMES = Object.keys(SENSITIVE_SETTING_KEYS) as SensitiveSettingName[];

/** The dependencies of the sensitive settings store. */
export interface SensitiveSettingsDeps {
  db: Db;
  vault: Vault;
}

/** The plaintext of a sensitive setting, or undefined when none is stored. Decrypting registers it for log masking. */
export async function readSensitiveSetting(deps: SensitiveSettingsDeps, name: SensitiveSettingName): Promise<string | undefined> {
  const row = await deps.db.setting.findUnique({ where: { key: SENSITIVE_SETTING_KEYS[name] } });
  if (!row?.ciphertext || !row.keyId) return undefined;
  return deps.vault.decrypt({ ciphertext: row.ciphertext, keyId: row.keyId });
}

/** Stores a sensitive setting encrypted under the newest key, or removes it (`null`). */
export async function writeSensitiveSetting(deps: SensitiveSettingsDeps, name: SensitiveSettingName, value: string | null, now: Date): Promise<void> {
  const key = SENSITIVE_SETTING_KEYS[name];
  if (value === null) {
    await deps.db.setting.deleteMany({ where: { key } });
    return;
  }
  const sealed = deps.vault.encrypt(value);
  await deps.db.setting.upsert({
    where: { key },
    create: { key, value: undefined, ciphertext: sealed.ciphertext, keyId: sealed.keyId, updatedAt: now },
    update: { ciphertext: sealed.ciphertext, keyId: sealed.keyId, updatedAt: now },
  });
}

/** Which sensitive settings are stored, as the API shows them: `*****` when set, null when not. */
export async function maskedSensitiveSettings(db: Db): Promise<Record<SensitiveSettingName, '*****' | null>> {
  const rows = await db.setting.findMany({ where: { key: { in: Object.values(SENSITIVE_SETTING_KEYS) }, ciphertext: { not: null } }, select: { key: true } });
  const stored = new Set(rows.map((r) => r.key));
  return Object.fromEntries(SENSITIVE_SETTING_NAMES.map((name) => [name, stored.has(SENSITIVE_SETTING_KEYS[name]) ? '*****' : null])) as Record<SensitiveSettingName, '*****' | null>;
}
