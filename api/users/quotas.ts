import type { Prisma } from '../db/generated/client.ts';
import { PolicyError } from '../http/errors.ts';

type Tx = Prisma.TransactionClient;

/** What one user may hold across every team (see `HANGAR_USER_*_QUOTA`). */
export interface UserQuotas {
  /** Live (not deleted) deployments the user created, in all teams together. */
  deployments: number;
  /** Teams the user created and still owns (personal team not counted). */
  teams: number;
  /** API keys that still work (not revoked, not expired). */
  apiKeys: number;
}

/** 422 `user_quota_exceeded`, the per-user sibling of the team's `quota_exceeded`. */
export class UserQuotaError extends PolicyError {
  constructor(what: string, count: number, quota: number) {
    super(`You already have ${count} ${what} across all teams (per-user quota ${quota})`, 'user_quota_exceeded', { quota, count });
  }
}

/** Locks the user's row for the rest of `tx`, so two concurrent creations cannot both pass a quota check. */
async function lockUser(tx: Tx, userId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`;
}

/** Inside the deployment's transaction: 422 when `userId` already created `quota` live deployments. */
export async function assertUserDeploymentQuota(tx: Tx, userId: string, quota: number): Promise<void> {
  await lockUser(tx, userId);
  const count = await tx.deployment.count({ where: { createdById: userId, desiredState: { not: 'deleted' } } });
  if (count >= quota) throw new UserQuotaError('deployments', count, quota);
}

/** Inside the team's transaction: 422 when `userId` already owns `quota` teams besides their personal one. */
export async function assertUserTeamQuota(tx: Tx, userId: string, quota: number): Promise<void> {
  await lockUser(tx, userId);
  const count = await tx.membership.count({ where: { userId, role: 'owner', team: { personal: false } } });
  if (count >= quota) throw new UserQuotaError('teams', count, quota);
}

/** Inside the key's transaction: 422 when `userId` already holds `quota` working API keys at `now`. */
export async function assertUserKeyQuota(tx: Tx, userId: string, quota: number, now: Date): Promise<void> {
  await lockUser(tx, userId);
  const count = await tx.apiKey.count({ where: { userId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] } });
  if (count >= quota) throw new UserQuotaError('API keys', count, quota);
}
