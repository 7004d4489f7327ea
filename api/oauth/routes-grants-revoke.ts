import { createRoute, z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized, requireAuth } from '../auth/permissions.ts';
import { errorResponses } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { NotFoundError } from '../http/errors.ts';
import { revokeGrant } from './grants.ts';

const GrantParams = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'ogr_0123456789abcdef' }) });

const revoke = authorized(
  createRoute({
    method: 'delete', path: '/v1/me/grants/{id}', tags: ['oauth'], summary: 'Revoke an OAuth grant: its access and refresh tokens stop working at once',
    request: { params: GrantParams },
    responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** `DELETE /v1/me/grants/{id}`: another user's grant, or one already revoked, is a 404. */
export function registerRevokeGrant(app: App): void {
  app.openapi(revoke, async (c) => {
    const principal = requireAuth(c, { scope: 'write' });
    const { id } = c.req.valid('param');
    const services = c.get('services');
    const grant = await services.db.oAuthGrant.findFirst({ where: { id, userId: principal.userId, revokedAt: null }, include: { deployment: { select: { teamId: true } } } });
    if (!grant || (principal.teamId && grant.deployment.teamId !== principal.teamId)) throw new NotFoundError('Grant');
    await revokeGrant(services, grant.id, 'user');
    await services.audit.record({ action: 'oauth.grant.revoke', resourceType: 'deployment', resourceId: grant.deploymentId, teamId: grant.deployment.teamId, ...auditActor(c), data: { grantId: grant.id, clientName: grant.clientName } });
    return c.body(null, 204);
  });
}
