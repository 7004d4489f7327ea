import { z } from '@hono/zod-openapi';
import type { Prisma } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';

/** Operator settings kept in the `settings` table (non-secret values only; secrets go through the vault). */
export const SettingsSchema = z
  .object({
    signupsEnabled: z.boolean().openapi({ description: 'Whether anyone may sign up (the first user always can)', example: true }),
    requireVerifiedEmailToDeploy: z.boolean().openapi({ description: 'Unverified users may sign in but not deploy', example: true }),
  })
  .openapi('Settings');

export type Settings = z.infer<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Settings = { signupsEnabled: true, requireVerifiedEmailToDeploy: true };

/** The current settings: stored values over the defaults. */
export async function readSettings(db: Db | Prisma.TransactionClient): Promise<Settings> {
  const rows = await db.setting.findMany({ where: { key: { in: Object.keys(DEFAULT_SETTINGS) } } });
  const stored = Object.fromEntries(rows.map((row) => [row.key, row.value]));
  const parsed = SettingsSchema.partial().safeParse(stored);
  return { ...DEFAULT_SETTINGS, ...(parsed.success ? parsed.data : {}) };
}

/** Stores the given settings (each in its own row) and returns the result. */
export async function writeSettings(db: Db, patch: Partial<Settings>, now: Date): Promise<Settings> {
  await db.$transaction(
    Object.entries(patch).map(([key, value]) =>
      db.setting.upsert({
        where: { key },
        create: { key, value: value as Prisma.InputJsonValue, updatedAt: now },
        update: { value: value as Prisma.InputJsonValue, updatedAt: now },
      }),
    ),
  );
  return readSettings(db);
}
