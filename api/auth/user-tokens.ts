import type { TokenPurpose } from '../db/generated/client.ts';
import { hashToken, newId, newSecretToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';

/** Lifetimes: verification 24 hours, password reset 30 minutes. */
export const TOKEN_TTL_MS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  password_reset: 30 * 60_000,
};

/**
 * Issues a single-use token for `purpose` (160 random bits, only the hash stored) and retires any earlier
 * unused token of the same purpose, so only the newest mail works.
 */
export async function issueUserToken(services: Services, userId: string, purpose: TokenPurpose): Promise<string> {
  const now = services.clock.now();
  const token = newSecretToken(purpose === 'verify_email' ? 'hgv_' : 'hgp_');
  await services.db.$transaction([
    services.db.userToken.updateMany({ where: { userId, purpose, usedAt: null }, data: { usedAt: now } }),
    services.db.userToken.create({
      data: { id: newId('tok'), userId, purpose, tokenHash: hashToken(token), createdAt: now, expiresAt: new Date(now.getTime() + TOKEN_TTL_MS[purpose]) },
    }),
  ]);
  return token;
}

/**
 * Spends a token: the user id when it exists for `purpose`, is unused and unexpired, else undefined. The
 * conditional update makes it single-use even under concurrent attempts.
 */
export async function consumeUserToken(services: Services, token: string, purpose: TokenPurpose): Promise<string | undefined> {
  const now = services.clock.now();
  const tokenHash = hashToken(token);
  const spent = await services.db.userToken.updateMany({
    where: { tokenHash, purpose, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (spent.count !== 1) return undefined;
  const row = await services.db.userToken.findUnique({ where: { tokenHash }, select: { userId: true } });
  return row?.userId;
}

/**
 * Looks a token up without spending it: its user when it exists for `purpose`, is unused and unexpired. For
 * pages that show a form before the token is used (a link opened by a mail scanner spends nothing).
 */
export async function findUsableUserToken(services: Services, token: string, purpose: TokenPurpose): Promise<{ userId: string; email: string } | undefined> {
  const row = await services.db.userToken.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: { select: { email: true, disabledAt: true } } } });
  if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt <= services.clock.now() || row.user.disabledAt) return undefined;
  return { userId: row.userId, email: row.user.email };
}
