import type { RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Deployment } from '../db/generated/client.ts';
import { auditActor } from '../audit/audit-context.ts';
import { assertRoleAtLeast, authorized, guard, resolveTeamRole, requireAuth, type GuardMiddleware, type Permission } from '../auth/permissions.ts';
import type { Scope, TeamRole } from '../auth/principal.ts';
import type { AppEnv } from '../http/context.ts';
import { NotFoundError } from '../http/errors.ts';
import type { DeploymentContext } from './service.ts';

/**
 * Loads a deployment for a caller who must hold at least `role` in its team. A deployment of a team the
 * caller cannot see answers exactly like a missing one (404 "Deployment not found"). One being deleted
 * is still found (its events and state stay readable until it is gone); updates and lifecycle calls on it
 * answer 404 (api/deployments/service.ts).
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
  const effective = await resolveTeamRole(c, principal, dep.teamId, team.memberships[0]?.role);
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

type ResourcePermission = Extract<Permission, { access: 'resource' }>;

/**
 * The guard of a deployment route (`:id` in its path): the declared permission's checks, then the deployment
 * loaded and the declared role checked on its team (viewer reads; member writes and calls MCP), so a route
 * cannot declare one role and enforce another. Another team's deployment is a 404. Handlers read
 * `c.get('deployment')`.
 */
export function deploymentGuard(permission: ResourcePermission): GuardMiddleware {
  const base = guard(permission);
  const middleware: MiddlewareHandler<AppEnv> = (c, next) =>
    base(c, async () => {
      c.set('deployment', await loadDeploymentFor(c, c.req.param('id') ?? '', permission.role, permission.scope));
      await next();
    });
  return Object.assign(middleware, { permission });
}

/** `authorized(...)` for a deployment route: its guard is `deploymentGuard(permission)`. */
export function authorizedDeployment<R extends RouteConfig>(route: R, permission: ResourcePermission): R {
  const declared = authorized(route, permission);
  const [, ...rest] = Array.isArray(declared.middleware) ? declared.middleware : [];
  return { ...declared, middleware: [deploymentGuard(permission), ...rest] };
}
