import { z } from '@hono/zod-openapi';
import { readSettings, SettingsSchema, writeSettings, type Settings } from '../admin/settings.ts';
import type { Clock } from '../platform/clock.ts';
import { maskedSensitiveSettings, SENSITIVE_SETTING_NAMES, writeSensitiveSetting, type SensitiveSettingName, type SensitiveSettingsDeps } from './sensitive-settings.ts';

/** What `GET /v1/admin/settings` shows: the plain settings, and each sensitive one masked. */
export const AdminSettingsSchema = SettingsSchema.extend({
  smtpPassword: z.literal('*****').nullable().openapi({ description: 'SMTP password (encrypted with the vault): `*****` when stored, null when not (SMTP_PASSWORD then applies)', example: '*****' }),
}).openapi('AdminSettings');

/** What `PUT /v1/admin/settings` accepts: any subset; a sensitive value is a string to store or null to remove. */
export const AdminSettingsPatchSchema = SettingsSchema.partial()
  .extend({
    smtpPassword: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
      .nullable()
      .optional()
      .openapi({ description: 'New SMTP password (encrypted on arrival, never shown again), or null to fall back to SMTP_PASSWORD', example: 'smtp-app-password' }),
  })
  .strict()
  .openapi('AdminSettingsPatch');

export type AdminSettings = z.infer<typeof AdminSettingsSchema>;
export type AdminSettingsPatch = z.infer<typeof AdminSettingsPatchSchema>;

/** Plain settings over their defaults, sensitive ones masked. */
export async function readAdminSettings(deps: SensitiveSettingsDeps): Promise<AdminSettings> {
  const [plain, masked] = await Promise.all([readSettings(deps.db), maskedSensitiveSettings(deps.db)]);
  return { ...plain, ...masked };
}

/**
 * Applies a patch: plain values as JSON, sensitive ones through the vault. Answers the new view and what
 * changed, for the audit log (sensitive settings by name only).
 */
export async function updateAdminSettings(
  deps: SensitiveSettingsDeps & { clock: Clock },
  patch: AdminSettingsPatch,
): Promise<{ settings: AdminSettings; plain: Partial<Settings>; sensitive: SensitiveSettingName[] }> {
  const now = deps.clock.now();
  const sensitive = SENSITIVE_SETTING_NAMES.filter((name) => patch[name] !== undefined);
  const plain = Object.fromEntries(Object.entries(patch).filter(([key]) => !SENSITIVE_SETTING_NAMES.includes(key as SensitiveSettingName))) as Partial<Settings>;
  if (Object.keys(plain).length > 0) await writeSettings(deps.db, plain, now);
  for (const name of sensitive) await writeSensitiveSetting(deps, name, patch[name] ?? null, now);
  return { settings: await readAdminSettings(deps), plain, sensitive };
}
