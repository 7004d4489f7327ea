import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../http/context.ts';
import { auditActor } from '../audit/audit-context.ts';
import { apiKeyView, createApiKey, MAX_ROTATION_GRACE_SECONDS, revokeApiKey, rotateApiKey } from './api-keys.ts';
import { authorized, requireAuth } from './permissions.ts';
import { SCOPES } from './principal.ts';
import { errorResponses, jsonBody, jsonContent } from './schemas.ts';

const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: 'key_0123456789abcdef' }),
    name: z.string().openapi({ example: 'ci' }),
    prefix: z.string().openapi({ description: 'First characters of the key, to recognise it', example: 'hgr_abcd' }),
    scopes: z.array(z.string()).openapi({ example: ['read', 'write'] }),
    teamId: z.string().nullable().openapi({ description: 'The one team this key acts in, or null for all the user’s teams' }),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: 'Updated at most once a minute' }),
    revokedAt: z.string().nullable(),
    replacedById: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('ApiKey');
const CreatedKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The key itself: shown only in this response', example: 'hgr_0123456789abcdefghjkmnpqrstvwx' }),
}).openapi('CreatedApiKey');
const CreateKeySchema = z.object({
  name: z.string().trim().min(1).max(100).openapi({ example: 'ci' }),
  scopes: z.array(z.enum(SCOPES)).min(1).max(4).openapi({ description: '`read`, `write`, `mcp` (MCP calls only), `admin`', example: ['read', 'write'] }),
  teamId: z.string().max(64).optional().openapi({ description: 'Narrow the key to one team', example: 'team_0123456789abcdef' }),
  expiresAt: z.iso.datetime().optional().openapi({ example: '2027-01-01T00:00:00Z' }),
});
const KeyParams = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'key_0123456789abcdef' }) });

const list = authorized(
  createRoute({
    method: 'get', path: '/v1/me/keys', tags: ['api keys'], summary: 'List the caller’s API keys (never the keys themselves)',
    responses: { 200: jsonContent(z.object({ data: z.array(ApiKeySchema) }), 'Keys'), ...errorResponses(401, 403) },
  }),
  { access: 'signed_in', scope: 'read' },
);
const create = authorized(
  createRoute({
    method: 'post', path: '/v1/me/keys', tags: ['api keys'], summary: 'Create an API key; the key is shown once',
    request: { body: jsonBody(CreateKeySchema) },
    responses: { 201: jsonContent(CreatedKeySchema, 'Created'), ...errorResponses(400, 401, 403, 404, 422) },
  }),
  { access: 'signed_in', scope: 'write' },
);
const revoke = authorized(
  createRoute({
    method: 'delete', path: '/v1/me/keys/{id}', tags: ['api keys'], summary: 'Revoke an API key; it fails from the next request on',
    request: { params: KeyParams },
    responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404) },
  }),
  { access: 'signed_in', scope: 'write' },
);
const rotate = authorized(
  createRoute({
    method: 'post', path: '/v1/me/keys/{id}/rotate', tags: ['api keys'], summary: 'Replace a key; the old one stays valid for a grace period (max 24 h)',
    request: {
      params: KeyParams,
      body: jsonBody(z.object({ gracePeriodSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(3600).openapi({ example: 3600 }) })),
    },
    responses: { 201: jsonContent(CreatedKeySchema, 'The new key'), ...errorResponses(400, 401, 403, 404) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** `GET/POST /v1/me/keys`, `DELETE /v1/me/keys/{id}`, `POST /v1/me/keys/{id}/rotate`. */
export function registerKeyRoutes(app: App): void {
  app.openapi(list, async (c) => {
    const principal = requireAuth(c);
    const keys = await c.get('services').db.apiKey.findMany({ where: { userId: principal.userId }, orderBy: { createdAt: 'desc' } });
    return c.json({ data: keys.map(apiKeyView) }, 200);
  });
  app.openapi(create, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const body = c.req.valid('json');
    const { key, row } = await createApiKey(services, principal, { ...body, expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined });
    await services.audit.record({ ...auditActor(c), action: 'key.create', resourceType: 'api_key', resourceId: row.id, teamId: row.teamId, data: { name: row.name, scopes: row.scopes } });
    return c.json({ ...apiKeyView(row), key }, 201);
  });
  app.openapi(revoke, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const row = await revokeApiKey(services, principal.userId, c.req.valid('param').id);
    await services.audit.record({ ...auditActor(c), action: 'key.revoke', resourceType: 'api_key', resourceId: row.id, teamId: row.teamId });
    return c.body(null, 204);
  });
  app.openapi(rotate, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const { key, row, previous } = await rotateApiKey(services, principal, c.req.valid('param').id, c.req.valid('json').gracePeriodSeconds);
    await services.audit.record({ ...auditActor(c), action: 'key.rotate', resourceType: 'api_key', resourceId: previous.id, teamId: row.teamId, data: { newKeyId: row.id, oldExpiresAt: previous.expiresAt?.toISOString() ?? null } });
    return c.json({ ...apiKeyView(row), key }, 201);
  });
}
