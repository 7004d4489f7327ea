import { createRoute, z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized } from '../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { ForbiddenError, NotFoundError } from '../http/errors.ts';
import { MemberSchema } from './schemas.ts';
import { TeamParams } from '../http/params.ts';
import { canManageRole } from './team-service.ts';

const MemberParams = TeamParams.extend({
  user: z.string().max(64).openapi({ param: { name: 'user', in: 'path' }, example: 'usr_0123456789abcdef' }),
});

const list = authorized(
  createRoute({
    method: 'get', path: '/v1/teams/{team}/members', tags: ['members'], summary: 'Members of a team',
    request: { params: TeamParams },
    responses: { 200: jsonContent(z.object({ data: z.array(MemberSchema) }), 'Members'), ...errorResponses(401, 403, 404) },
  }),
  { access: 'team', role: 'viewer', scope: 'read' },
);
const patch = authorized(
  createRoute({
    method: 'patch', path: '/v1/teams/{team}/members/{user}', tags: ['members'], summary: 'Change a member’s role (owners: up to admin; admins: member and viewer)',
    request: { params: MemberParams, body: jsonBody(z.object({ role: z.enum(['admin', 'member', 'viewer']).openapi({ example: 'member' }) })) },
    responses: { 200: jsonContent(MemberSchema, 'Updated'), ...errorResponses(400, 401, 403, 404) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);
const remove = authorized(
  createRoute({
    method: 'delete', path: '/v1/teams/{team}/members/{user}', tags: ['members'], summary: 'Remove a member (never the owner)',
    request: { params: MemberParams },
    responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);

/** `GET /v1/teams/{team}/members`, `PATCH/DELETE /v1/teams/{team}/members/{user}`. */
export function registerMemberRoutes(app: App): void {
  app.openapi(list, async (c) => {
    const { team } = c.get('teamAccess');
    const rows = await c.get('services').db.membership.findMany({ where: { teamId: team.id }, include: { user: true }, orderBy: { createdAt: 'asc' } });
    return c.json({ data: rows.map((m) => ({ userId: m.userId, email: m.user.email, name: m.user.name, role: m.role, since: m.createdAt.toISOString() })) }, 200);
  });
  app.openapi(patch, async (c) => {
    const { team, role: actorRole } = c.get('teamAccess');
    const services = c.get('services');
    const { user } = c.req.valid('param');
    const { role } = c.req.valid('json');
    const target = await services.db.membership.findUnique({ where: { teamId_userId: { teamId: team.id, userId: user } } });
    if (!target) throw new NotFoundError('Member');
    if (!canManageRole(actorRole, target.role) || !canManageRole(actorRole, role)) throw new ForbiddenError('Your role cannot make this change', 'insufficient_role');
    const updated = await services.db.membership.update({ where: { teamId_userId: { teamId: team.id, userId: user } }, data: { role }, include: { user: true } });
    await services.audit.record({ ...auditActor(c), action: 'team.member.update', resourceType: 'membership', resourceId: user, teamId: team.id, data: { from: target.role, to: role } });
    return c.json({ userId: updated.userId, email: updated.user.email, name: updated.user.name, role: updated.role, since: updated.createdAt.toISOString() }, 200);
  });
  app.openapi(remove, async (c) => {
    const { team, role: actorRole } = c.get('teamAccess');
    const services = c.get('services');
    const { user } = c.req.valid('param');
    const target = await services.db.membership.findUnique({ where: { teamId_userId: { teamId: team.id, userId: user } } });
    if (!target) throw new NotFoundError('Member');
    if (!canManageRole(actorRole, target.role)) throw new ForbiddenError('Your role cannot remove this member', 'insufficient_role');
    await services.db.$transaction([
      services.db.membership.delete({ where: { teamId_userId: { teamId: team.id, userId: user } } }),
      // Keys narrowed to this team stop working with the membership.
      services.db.apiKey.updateMany({ where: { userId: user, teamId: team.id, revokedAt: null }, data: { revokedAt: services.clock.now() } }),
    ]);
    await services.audit.record({ ...auditActor(c), action: 'team.member.remove', resourceType: 'membership', resourceId: user, teamId: team.id, data: { role: target.role } });
    return c.body(null, 204);
  });
}
