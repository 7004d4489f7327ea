import { createRoute } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized, requireAuth } from '../auth/permissions.ts';
import { errorResponses } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { ConflictError } from '../http/errors.ts';
import { TeamParams } from '../http/params.ts';

const leave = authorized(
  createRoute({
    method: 'post', path: '/v1/teams/{team}/leave', tags: ['members'],
    summary: 'Leave a team yourself (any role but owner: the owner transfers ownership first)',
    request: { params: TeamParams },
    responses: { 204: { description: 'Left; your keys narrowed to this team are revoked' }, ...errorResponses(401, 403, 404, 409) },
  }),
  { access: 'team', role: 'viewer', scope: 'write' },
);

/**
 * `POST /v1/teams/{team}/leave`: the caller's own membership ends, with every key of theirs narrowed to the
 * team. The owner cannot leave (a team keeps exactly one owner; 409 `owner_cannot_leave`), and a global
 * admin who reached the team without a membership has nothing to leave (409 `not_a_member`).
 */
export function registerLeaveTeam(app: App): void {
  app.openapi(leave, async (c) => {
    const principal = requireAuth(c);
    const { team } = c.get('teamAccess');
    const services = c.get('services');
    const mine = await services.db.membership.findUnique({ where: { teamId_userId: { teamId: team.id, userId: principal.userId } } });
    if (!mine) throw new ConflictError('You are not a member of this team', 'not_a_member');
    if (mine.role === 'owner') throw new ConflictError('The owner cannot leave; transfer ownership first', 'owner_cannot_leave');
    await services.db.$transaction([
      services.db.membership.delete({ where: { teamId_userId: { teamId: team.id, userId: principal.userId } } }),
      services.db.apiKey.updateMany({ where: { userId: principal.userId, teamId: team.id, revokedAt: null }, data: { revokedAt: services.clock.now() } }),
    ]);
    await services.audit.record({ ...auditActor(c), action: 'team.member.leave', resourceType: 'membership', resourceId: principal.userId, teamId: team.id, data: { role: mine.role } });
    return c.body(null, 204);
  });
}
