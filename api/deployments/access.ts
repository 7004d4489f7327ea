import type { Context } from 'hono';
import type { Deployment } from '../db/generated/client.ts';
import { auditActor } from '../audit/audit-context.ts';
import { assertRoleAtLeast, effectiveTeamRole, requireAuth } from '../auth/permissions.ts';
import type { Scope, TeamRole } from '../auth/principal.ts';
import type { AppEnv } from '../http/context.ts';
import { NotFoundError } from '../http/errors.ts';
import type { DeploymentContext } from './service.ts';

/**
 * Loads a deployment for a caller who must hold at least `role` in its team. A deployment of a team the
 * caller cannot see answers exactly like a missing one (404 "Deployment not found"), and so does one
 * being deleted.
 */
export async function loadDeploymentFor(c: Context<AppEnv>, id: string, role: TeamRole, scope: Scope): Promise<Deployment> {
  const principal = requireAuth(c, { scope });
  // One query for the deployment and the caller's membership in its team (the MCP proxy's hot path).
  const found = await c.get('services').db.deployment.findUnique({
    where: { id },
    include: { team: { select: { memberships: { where: { userId: principal.userId }, select: { role: true } } } } },
  });
  if (!found) throw new NotFoundError('Deployment');
  const { team, ...dep } = found;
  const effective = effectiveTeamRole(principal, dep.teamId, team.memberships[0]?.role);
  if (!effective) throw new NotFoundError('Deployment');
  assertRoleAtLeast(effective, role);
  return dep;
}

/** The explicit context the deployment service takes: services, caller, and audit facts of this request. */
export function deploymentContext(c: Context<AppEnv>): DeploymentContext {
  const actor = auditActor(c);
  return {
    services: c.get('services'),
    principal: requireAuth(c),
    actor: { actorUserId: actor.actorUserId ?? null, actorKeyId: actor.actorKeyId ?? null, ip: actor.ip ?? null, requestId: actor.requestId ?? null },
  };
}
