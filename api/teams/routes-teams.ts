import { createRoute, z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized, requireAuth, visibleTeamsWhere } from '../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { ConflictError, ForbiddenError } from '../http/errors.ts';
import { PolicyChangeSchema, SlugSchema, storedPolicy, TeamSchema, teamView } from './schemas.ts';
import { TeamParams } from '../http/params.ts';
import { assertUserTeamQuota } from '../users/quotas.ts';
import { createTeam, hasLiveDeployments, transferOwnership } from './team-service.ts';

const NameSchema = z.string().trim().min(1).max(100).openapi({ example: 'Acme' });

const list = authorized(
  createRoute({
    method: 'get', path: '/v1/teams', tags: ['teams'], summary: 'Teams the caller belongs to (a team-narrowed key sees its one team)',
    responses: { 200: jsonContent(z.object({ data: z.array(TeamSchema) }), 'Teams'), ...errorResponses(401, 403) },
  }),
  { access: 'signed_in', scope: 'read' },
);
const create = authorized(
  createRoute({
    method: 'post', path: '/v1/teams', tags: ['teams'], summary: 'Create a team; the caller becomes its owner',
    request: { body: jsonBody(z.object({ name: NameSchema, slug: SlugSchema.optional() })) },
    responses: { 201: jsonContent(TeamSchema, 'Created'), ...errorResponses(400, 401, 403, 409, 422) },
  }),
  { access: 'signed_in', scope: 'write' },
);
const get = authorized(
  createRoute({
    method: 'get', path: '/v1/teams/{team}', tags: ['teams'], summary: 'One team',
    request: { params: TeamParams },
    responses: { 200: jsonContent(TeamSchema, 'The team'), ...errorResponses(401, 403, 404) },
  }),
  { access: 'team', role: 'viewer', scope: 'read' },
);
const patch = authorized(
  createRoute({
    method: 'patch', path: '/v1/teams/{team}', tags: ['teams'],
    summary: 'Rename a team or change its slug (owner), or change its admission policy (admins and the owner)',
    request: {
      params: TeamParams,
      body: jsonBody(
        z.object({
          name: NameSchema.optional(),
          slug: SlugSchema.optional(),
          policy: PolicyChangeSchema.optional(),
        }).strict(),
      ),
    },
    responses: { 200: jsonContent(TeamSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);
const remove = authorized(
  createRoute({
    method: 'delete', path: '/v1/teams/{team}', tags: ['teams'], summary: 'Delete a team (not a personal team; not while it has deployments)',
    request: { params: TeamParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
  }),
  { access: 'team', role: 'owner', scope: 'write' },
);
const transfer = authorized(
  createRoute({
    method: 'post', path: '/v1/teams/{team}/transfer', tags: ['teams'], summary: 'Give ownership to another member; the old owner becomes admin',
    request: { params: TeamParams, body: jsonBody(z.object({ userId: z.string().max(64).openapi({ example: 'usr_0123456789abcdef' }) })) },
    responses: { 200: jsonContent(TeamSchema, 'Transferred'), ...errorResponses(400, 401, 403, 404, 409) },
  }),
  { access: 'team', role: 'owner', scope: 'write' },
);

/** `GET/POST /v1/teams`, `GET/PATCH/DELETE /v1/teams/{team}`, `POST /v1/teams/{team}/transfer`. */
export function registerTeamRoutes(app: App): void {
  app.openapi(list, async (c) => {
    const principal = requireAuth(c);
    const teams = await c.get('services').db.team.findMany({
      where: visibleTeamsWhere(principal),
      include: { memberships: { where: { userId: principal.userId } } },
      orderBy: { createdAt: 'asc' },
    });
    return c.json({ data: teams.map((t) => teamView(t, t.memberships[0]?.role ?? 'viewer')) }, 200);
  });
  app.openapi(create, async (c) => {
    const principal = requireAuth(c);
    if (principal.teamId) throw new ConflictError('A team-narrowed key cannot create teams', 'key_narrowed');
    const services = c.get('services');
    const body = c.req.valid('json');
    const team = await services.db.$transaction(async (tx) => {
      await assertUserTeamQuota(tx, principal.userId, services.config.userQuotas.teams);
      return createTeam(tx, { name: body.name, slug: body.slug, ownerId: principal.userId, personal: false, now: services.clock.now() });
    });
    await services.audit.record({ ...auditActor(c), action: 'team.create', resourceType: 'team', resourceId: team.id, teamId: team.id, data: { slug: team.slug } });
    return c.json(teamView(team, 'owner'), 201);
  });
  app.openapi(get, (c) => {
    const { team, role } = c.get('teamAccess');
    return c.json(teamView(team, role), 200);
  });
  app.openapi(patch, async (c) => {
    const { team, role } = c.get('teamAccess');
    const services = c.get('services');
    const body = c.req.valid('json');
    if ((body.name !== undefined || body.slug !== undefined) && role !== 'owner') throw new ForbiddenError('Only the owner renames a team or changes its slug', 'insufficient_role');
    if (body.slug && body.slug !== team.slug && (await services.db.team.findUnique({ where: { slug: body.slug } }))) {
      throw new ConflictError('That team slug is taken', 'slug_taken');
    }
    const before = storedPolicy(team);
    const policy = body.policy ? { ...before, ...body.policy } : undefined;
    const updated = await services.db.team.update({
      where: { id: team.id },
      data: { ...(body.name ? { name: body.name } : {}), ...(body.slug ? { slug: body.slug } : {}), ...(policy ? { policy } : {}) },
    });
    if (body.name !== undefined || body.slug !== undefined) {
      await services.audit.record({ ...auditActor(c), action: 'team.update', resourceType: 'team', resourceId: team.id, teamId: team.id, data: { name: updated.name, slug: updated.slug } });
    }
    if (policy) await services.audit.record({ ...auditActor(c), action: 'team.policy.update', resourceType: 'team', resourceId: team.id, teamId: team.id, data: { from: before, to: policy } });
    return c.json(teamView(updated, role), 200);
  });
  app.openapi(remove, async (c) => {
    const { team } = c.get('teamAccess');
    const services = c.get('services');
    if (team.personal) throw new ConflictError('A personal team is deleted only with its account', 'personal_team');
    if (await hasLiveDeployments(services.db, team.id)) throw new ConflictError('Delete the team’s deployments first', 'team_has_deployments');
    await services.db.team.delete({ where: { id: team.id } });
    await services.audit.record({ ...auditActor(c), action: 'team.delete', resourceType: 'team', resourceId: team.id, teamId: team.id, data: { slug: team.slug } });
    return c.body(null, 204);
  });
  app.openapi(transfer, async (c) => {
    const principal = requireAuth(c);
    const { team } = c.get('teamAccess');
    const services = c.get('services');
    const { userId } = c.req.valid('json');
    await transferOwnership(services, team.id, principal.userId, userId);
    await services.audit.record({ ...auditActor(c), action: 'team.transfer', resourceType: 'team', resourceId: team.id, teamId: team.id, data: { to: userId } });
    const mine = await services.db.membership.findUnique({ where: { teamId_userId: { teamId: team.id, userId: principal.userId } } });
    return c.json(teamView(team, mine?.role ?? 'admin'), 200);
  });
}
