import { createRoute } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { CredentialPageQuery, CredentialPageSchema, credentialView } from '../schemas.ts';
import { TeamParams } from '../../http/params.ts';
import { listCredentials } from '../service.ts';
import { depsOf, ownerOf, readCursor, writeCursor } from './owner.ts';

const teamRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/teams/{team}/credentials',
    tags: ['credentials'],
    summary: "The team's credentials by name (metadata only; values are never returned)",
    description: 'Any team member, viewers included, may list names: deployments show the names they reference anyway.',
    request: { params: TeamParams, query: CredentialPageQuery },
    responses: { 200: jsonContent(CredentialPageSchema, 'A page of credentials'), ...errorResponses(400, 401, 403, 404, 429) },
  }),
  { access: 'team', role: 'viewer', scope: 'read' },
);

const userRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/me/credentials',
    tags: ['credentials'],
    summary: 'Your own credentials by name (metadata only)',
    request: { query: CredentialPageQuery },
    responses: { 200: jsonContent(CredentialPageSchema, 'A page of credentials'), ...errorResponses(400, 401, 403, 429) },
  }),
  { access: 'signed_in', scope: 'read' },
);

/** `GET /v1/teams/{team}/credentials` and `GET /v1/me/credentials`. */
export function registerListCredentials(app: App): void {
  for (const [route, tier] of [[teamRoute, 'team'], [userRoute, 'user']] as const) {
    app.openapi(route, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const { rows, next } = await listCredentials(depsOf(c), ownerOf(c, tier), { limit, after: readCursor(cursor) });
      return c.json({ data: rows.map(credentialView), nextCursor: writeCursor(next) }, 200);
    });
  }
}
