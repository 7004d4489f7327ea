import { createRoute } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { CreateCredentialSchema, CredentialSchema, credentialView } from '../schemas.ts';
import { TeamParams } from '../../http/params.ts';
import { createCredential } from '../service.ts';
import { auditCredential, depsOf, ownerOf } from './owner.ts';

const teamRoute = authorized(
  createRoute({
    method: 'post',
    path: '/v1/teams/{team}/credentials',
    tags: ['credentials'],
    summary: 'Store a team credential (team admins)',
    description: 'The value is encrypted with the vault on arrival and never returned. Every deployment of the team may reference it by name.',
    request: { params: TeamParams, body: jsonBody(CreateCredentialSchema) },
    responses: { 201: jsonContent(CredentialSchema, 'Stored'), ...errorResponses(400, 401, 403, 404, 409, 429) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);

const userRoute = authorized(
  createRoute({
    method: 'post',
    path: '/v1/me/credentials',
    tags: ['credentials'],
    summary: 'Store a credential of your own',
    description: 'Your deployments use it instead of a team credential of the same name. Encrypted on arrival, never returned.',
    request: { body: jsonBody(CreateCredentialSchema) },
    responses: { 201: jsonContent(CredentialSchema, 'Stored'), ...errorResponses(400, 401, 403, 409, 429) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** `POST /v1/teams/{team}/credentials` and `POST /v1/me/credentials`. */
export function registerCreateCredential(app: App): void {
  for (const [route, tier] of [[teamRoute, 'team'], [userRoute, 'user']] as const) {
    app.openapi(route, async (c) => {
      const row = await createCredential(depsOf(c), ownerOf(c, tier), c.req.valid('json'));
      await auditCredential(c, 'create', row);
      return c.json(credentialView(row), 201);
    });
  }
}
