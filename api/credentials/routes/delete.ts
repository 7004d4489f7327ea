import { createRoute } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { NameParams, TeamNameParams } from '../schemas.ts';
import { deleteCredential } from '../service.ts';
import { auditCredential, depsOf, ownerOf } from './owner.ts';

const DELETE_NOTE = 'A deployment that references the name (and has no user credential of that name) fails at its next launch with `credential_missing`.';

const teamRoute = authorized(
  createRoute({
    method: 'delete',
    path: '/v1/teams/{team}/credentials/{name}',
    tags: ['credentials'],
    summary: 'Delete a team credential (team admins)',
    description: DELETE_NOTE,
    request: { params: TeamNameParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);

const userRoute = authorized(
  createRoute({
    method: 'delete',
    path: '/v1/me/credentials/{name}',
    tags: ['credentials'],
    summary: 'Delete one of your credentials',
    description: `${DELETE_NOTE} Deleting your credential makes your deployments fall back to the team credential of the same name.`,
    request: { params: NameParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** `DELETE /v1/teams/{team}/credentials/{name}` and `DELETE /v1/me/credentials/{name}`. */
export function registerDeleteCredential(app: App): void {
  for (const [route, tier] of [[teamRoute, 'team'], [userRoute, 'user']] as const) {
    app.openapi(route, async (c) => {
      const { name } = c.req.valid('param');
      const row = await deleteCredential(depsOf(c), ownerOf(c, tier), name);
      await auditCredential(c, 'delete', row);
      return c.body(null, 204);
    });
  }
}
