import { roleAtLeast } from '../auth/principal.ts';
import type { Deployment, OAuthGrant, User } from '../db/generated/client.ts';
import type { Services } from '../services.ts';

/** A grant with what decides whether it still holds: its user and deployment. */
export type GrantWithParties = OAuthGrant & { user: User; deployment: Deployment };

const GONE_STATES = new Set(['deleting', 'deleted']);

/**
 * Whether a grant's tokens may still be used, decided at every use rather than by hooks elsewhere: not
 * revoked, the user neither disabled nor deleted (the row cascades), still at least `member` of the
 * deployment's team (leaving or removal ends it), and the deployment not deleted.
 */
export async function grantIsLive(services: Services, grant: GrantWithParties): Promise<boolean> {
  if (grant.revokedAt || grant.user.disabledAt) return false;
  if (grant.deployment.desiredState === 'deleted' || GONE_STATES.has(grant.deployment.state)) return false;
  const membership = await services.db.membership.findUnique({
    where: { teamId_userId: { teamId: grant.deployment.teamId, userId: grant.userId } },
    select: { role: true },
  });
  return membership !== null && roleAtLeast(membership.role, 'member');
}

/** Revokes a grant and so every code and token of its family, at once; idempotent. */
export async function revokeGrant(services: Services, grantId: string, reason: 'user' | 'refresh_reuse' | 'code_reuse' | 'client_revocation'): Promise<boolean> {
  const result = await services.db.oAuthGrant.updateMany({
    where: { id: grantId, revokedAt: null },
    data: { revokedAt: services.clock.now(), revokedReason: reason },
  });
  return result.count > 0;
}
