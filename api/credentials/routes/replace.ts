import { createRoute } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { CredentialSchema, credentialView, NameParams, ReplaceCredentialSchema, TeamNameParams } from '../schemas.ts';
import { replaceCredential } from '../service.ts';
import { auditCredential, depsOf, ownerOf } from './owner.ts';

const RUNNING_NOTE = 'Running machines keep the value they booted with until restarted (Fly app secrets are read at machine start).';

const teamRoute = authorized(
  createRoute({
    method: 'put',
    path: '/v1/teams/{team}/credentials/{name}',
    tags: ['credentials'],
    summary: "Replace a team credential's value (team admins)",
    description: RUNNING_NOTE,
    request: { params: TeamNameParams, body: jsonBody(ReplaceCredentialSchema) },
    responses: { 200: jsonContent(CredentialSchema, 'Replaced'), ...errorResponses(400, 401, 403, 404, 429) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);

const userRoute = authorized(
  createRoute({
    method: 'put',
    path: '/v1/me/credentials/{name}',
    tags: ['credentials'],
    summary: "Replace your credential's value",
    description: RUNNING_NOTE,
    request: { params: NameParams, body: jsonBody(ReplaceCredentialSchema) },
    responses: { 200: jsonContent(CredentialSchema, 'Replaced'), ...errorResponses(400, 401, 403, 404, 429) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** `PUT /v1/teams/{team}/credentials/{name}` and `PUT /v1/me/credentials/{name}`. */
export function registerReplaceCredential(app: App): void {
  for (const [route, tier] of [[teamRoute, 'team'], [userRoute, 'user']] as const) {
    app.openapi(route, async (c) => {
      const { name } = c.req.valid('param');
      const row = await replaceCredential(depsOf(c), ownerOf(c, tier), name, c.req.valid('json').value);
      await auditCredential(c, 'update', row);
      return c.json(credentialView(row), 200);
    });
  }
}
