import type { Context, MiddlewareHandler } from 'hono';
import type { RouteConfig } from '@hono/zod-openapi';
import type { Team } from '../db/generated/client.ts';
import type { App, AppEnv } from '../http/context.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../http/errors.ts';
import { clientIp } from './request-meta.ts';
import { roleAtLeast, type Principal, type Scope, type TeamRole } from './principal.ts';

/**
 * What a route requires. Every route declares one (see `authorized` and `declareRoute`); the guard built
 * from it is the only enforcement, and the permission-matrix test reads the same declaration.
 * - `public`: anyone.
 * - `signed_in`: any active user whose credential carries `scope`.
 * - `team`: a member of the team named by path parameter `param` (default `team`) with at least `role`.
 * - `resource`: like `signed_in`; the handler loads the resource and calls `requireTeamRole` with its team.
 * - `global_admin`: a global admin, with the `admin` scope and no team narrowing.
 * `verified: true` also requires a verified email (403 `email_unverified`), e.g. to deploy.
 */
export type Permission =
  | { access: 'public' }
  | { access: 'signed_in'; scope: Scope; verified?: boolean }
  | { access: 'team'; role: TeamRole; scope: Scope; param?: string; verified?: boolean }
  | { access: 'resource'; role: TeamRole; scope: Scope; verified?: boolean }
  | { access: 'global_admin' };

/** A guard middleware, carrying the permission it enforces so tests can enumerate it from `app.routes`. */
export type GuardMiddleware = MiddlewareHandler<AppEnv> & { permission: Permission };

/** The team a `team` route resolved, and the caller's effective role in it. */
export interface TeamAccess {
  team: Team;
  role: TeamRole;
}

/** True when the credential's scopes cover `needed`: `admin` covers all, `write` covers `read` and `mcp`. */
export function hasScope(principal: Principal, needed: Scope): boolean {
  const s = principal.scopes;
  if (s.has(needed) || s.has('admin')) return true;
  return s.has('write') && (needed === 'read' || needed === 'mcp');
}

/** The authenticated caller, or 401. With `scope`, 403 when the credential does not carry it. */
export function requireAuth(c: Context<AppEnv>, options: { scope?: Scope; verified?: boolean } = {}): Principal {
  const principal = c.get('principal');
  if (!principal) throw new UnauthorizedError();
  if (options.scope && !hasScope(principal, options.scope)) {
    throw new ForbiddenError(`This API key lacks the "${options.scope}" scope`, 'insufficient_scope');
  }
  if (options.verified && !principal.emailVerified) throw new ForbiddenError('Verify your email address first', 'email_unverified');
  return principal;
}

/** A global admin acting with full scope (no team-narrowed key), or 401/403. */
export function requireGlobalAdmin(c: Context<AppEnv>): Principal {
  const principal = requireAuth(c, { scope: 'admin' });
  if (principal.globalRole !== 'admin' || principal.teamId) throw new ForbiddenError('Global administrators only');
  return principal;
}

/**
 * The caller's effective role in a team, from their membership there (if any): undefined when the team is
 * invisible to them (not a member, or outside a team-narrowed key). A global admin who is not a member acts
 * as `admin` only with a session or an `admin`-scoped key: an ordinary key of an admin (a CI key) sees only
 * the admin's own teams. Callers that grant such access record it with `recordAdminTeamAccess`.
 */
export function effectiveTeamRole(principal: Principal, teamId: string, memberRole: TeamRole | undefined): TeamRole | undefined {
  if (principal.teamId && principal.teamId !== teamId) return undefined;
  if (memberRole) return memberRole;
  return principal.globalRole === 'admin' && principal.scopes.has('admin') ? 'admin' : undefined;
}

/**
 * Resolves the caller's role in `teamId` like `effectiveTeamRole`, and when it comes from global-admin power
 * (no membership) writes `admin.team_access` into that team's audit log, once per request and team.
 */
export async function resolveTeamRole(c: Context<AppEnv>, principal: Principal, teamId: string, memberRole: TeamRole | undefined): Promise<TeamRole | undefined> {
  const role = effectiveTeamRole(principal, teamId, memberRole);
  if (role && !memberRole) await recordAdminTeamAccess(c, principal, teamId);
  return role;
}

async function recordAdminTeamAccess(c: Context<AppEnv>, principal: Principal, teamId: string): Promise<void> {
  const seen = c.get('adminTeamAccess') ?? new Set<string>();
  if (seen.has(teamId)) return;
  seen.add(teamId);
  c.set('adminTeamAccess', seen);
  await c.get('services').audit.record({
    action: 'admin.team_access',
    resourceType: 'team',
    resourceId: teamId,
    teamId,
    actorUserId: principal.userId,
    actorKeyId: principal.keyId ?? null,
    ip: clientIp(c) ?? null,
    requestId: c.get('requestId') ?? null,
    data: { method: c.req.method, path: c.req.path, via: principal.via },
  });
}

/** 403 when a visible team's role is below `minimum`. */
export function assertRoleAtLeast(role: TeamRole, minimum: TeamRole): void {
  if (!roleAtLeast(role, minimum)) throw new ForbiddenError(`Requires the team role "${minimum}" or higher`, 'insufficient_role');
}

/**
 * The central team check: the team (by id or slug) when the caller's role in it is at least `minimum`.
 * A team the caller cannot see (not a member, or outside a team-narrowed key) is 404, exactly like a
 * missing one; a visible team with too low a role is 403. Global admins: see `effectiveTeamRole`.
 */
export async function requireTeamRole(c: Context<AppEnv>, teamIdOrSlug: string, minimum: TeamRole): Promise<TeamAccess> {
  const principal = requireAuth(c);
  const { db } = c.get('services');
  const team = await db.team.findFirst({
    where: { OR: [{ id: teamIdOrSlug }, { slug: teamIdOrSlug }] },
    include: { memberships: { where: { userId: principal.userId } } },
  });
  if (!team) throw new NotFoundError('Team');
  const { memberships, ...bare } = team;
  const role = await resolveTeamRole(c, principal, team.id, memberships[0]?.role);
  if (!role) throw new NotFoundError('Team');
  assertRoleAtLeast(role, minimum);
  return { team: bare, role };
}

/** The Prisma filter for "teams this caller may see": their memberships, narrowed to a key's team. */
export function visibleTeamsWhere(principal: Principal): { memberships: { some: { userId: string } }; id?: string } {
  return { memberships: { some: { userId: principal.userId } }, ...(principal.teamId ? { id: principal.teamId } : {}) };
}

/**
 * Builds the guard middleware that enforces `permission`; `team` routes leave `c.get('teamAccess')` set.
 * Routes outside OpenAPI declare themselves with it: `app.get(path, guard({...}), handler)`.
 */
export function guard(permission: Permission): GuardMiddleware {
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (permission.access !== 'public') {
      if (c.get('authentication')?.state !== 'valid') throw new UnauthorizedError();
      if (permission.access === 'global_admin') requireGlobalAdmin(c);
      else requireAuth(c, { scope: permission.scope, verified: permission.verified });
      if (permission.access === 'team') {
        const teamParam = c.req.param(permission.param ?? 'team');
        if (!teamParam) throw new NotFoundError('Team');
        c.set('teamAccess', await requireTeamRole(c, teamParam, permission.role));
      }
    }
    await next();
  };
  return Object.assign(middleware, { permission });
}

const SECURITY_ANY = [{ apiKey: [] }, { session: [] }];

/**
 * Attaches `permission` to an OpenAPI route: its guard runs before input validation, and the permission
 * is published in the spec as `x-permission`. Use: `app.openapi(authorized(createRoute({...}), {...}), handler)`.
 */
export function authorized<R extends RouteConfig>(route: R, permission: Permission): R {
  const existing = route.middleware ? (Array.isArray(route.middleware) ? route.middleware : [route.middleware]) : [];
  const needs = describePermission(permission);
  return {
    ...route,
    description: route.description ? `${route.description}\n\n${needs}` : needs,
    middleware: [guard(permission), ...existing],
    security: permission.access === 'public' ? [] : SECURITY_ANY,
    'x-permission': permission,
  };
}

/** What a permission asks of the caller, in words, for the route's OpenAPI description. */
export function describePermission(permission: Permission): string {
  switch (permission.access) {
    case 'public':
      return 'No credentials needed.';
    case 'global_admin':
      return 'Requires a global admin (a session, or an API key with the `admin` scope).';
    case 'signed_in':
      return `Requires a session or an API key with the \`${permission.scope}\` scope${permission.verified ? ', and a verified email' : ''}.`;
    default:
      return `Requires a session or an API key with the \`${permission.scope}\` scope, and the \`${permission.role}\` role (or higher) in the team${permission.verified ? ', and a verified email' : ''}.`;
  }
}

/** The permission declared for one registered route, read back from its guard (undefined: none). */
export function declaredPermission(app: App, method: string, path: string): Permission | undefined {
  for (const route of app.routes) {
    if (route.method === method && route.path === path && 'permission' in route.handler) {
      return (route.handler as GuardMiddleware).permission;
    }
  }
  return undefined;
}
