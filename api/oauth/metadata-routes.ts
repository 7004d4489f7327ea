import { createRoute, z } from '@hono/zod-openapi';
import { authorized } from '../auth/permissions.ts';
import { ErrorSchema } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { NotFoundError } from '../http/errors.ts';
import { issuerOf, mcpResourceUrl, OAUTH_PATHS, OAUTH_SCOPES } from './urls.ts';

/** Deployment ids as `newId` makes them; anything else never names a resource (and never reaches a header). */
export const DEPLOYMENT_ID_SHAPE = /^dep_[0-9a-z]{1,60}$/;

const AuthorizationServerMetadata = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    registration_endpoint: z.string(),
    revocation_endpoint: z.string(),
    response_types_supported: z.array(z.string()),
    grant_types_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    client_id_metadata_document_supported: z.boolean(),
    authorization_response_iss_parameter_supported: z.boolean(),
  })
  .openapi('OAuthAuthorizationServerMetadata');

const ProtectedResourceMetadata = z
  .object({
    resource: z.string(),
    authorization_servers: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    bearer_methods_supported: z.array(z.string()),
    resource_name: z.string(),
  })
  .openapi('OAuthProtectedResourceMetadata');

const asMetadataRoute = createRoute({
  method: 'get',
  path: OAUTH_PATHS.authorizationServerMetadata,
  tags: ['oauth'],
  summary: 'OAuth 2.1 authorization server metadata (RFC 8414)',
  responses: { 200: { description: 'The metadata', content: { 'application/json': { schema: AuthorizationServerMetadata } } } },
});

const prMetadataRoute = createRoute({
  method: 'get',
  path: `${OAUTH_PATHS.protectedResourcePrefix}/v1/deployments/{id}/mcp`,
  tags: ['oauth'],
  summary: 'Protected resource metadata of a deployment’s MCP endpoint (RFC 9728)',
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'dep_0123456789abcdef' }) }) },
  responses: {
    200: { description: 'The metadata', content: { 'application/json': { schema: ProtectedResourceMetadata } } },
    404: { description: 'Not a deployment id', content: { 'application/json': { schema: ErrorSchema } } },
  },
});

/**
 * `GET /.well-known/oauth-authorization-server` and `GET /.well-known/oauth-protected-resource/v1/deployments/{id}/mcp`.
 * Both are public. The resource metadata answers for any well-formed deployment id without a lookup, so
 * it says nothing about which deployments exist; the token, not the metadata, is checked against them.
 */
export function registerOAuthMetadata(app: App): void {
  app.openapi(authorized(asMetadataRoute, { access: 'public' }), (c) => {
    const { config } = c.get('services');
    const issuer = issuerOf(config);
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(
      {
        issuer,
        authorization_endpoint: `${issuer}${OAUTH_PATHS.authorize}`,
        token_endpoint: `${issuer}${OAUTH_PATHS.token}`,
        registration_endpoint: `${issuer}${OAUTH_PATHS.register}`,
        revocation_endpoint: `${issuer}${OAUTH_PATHS.revoke}`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
        scopes_supported: [...OAUTH_SCOPES],
        client_id_metadata_document_supported: true,
        authorization_response_iss_parameter_supported: true,
      },
      200,
    );
  });

  app.openapi(authorized(prMetadataRoute, { access: 'public' }), (c) => {
    const { id } = c.req.valid('param');
    if (!DEPLOYMENT_ID_SHAPE.test(id)) throw new NotFoundError('Deployment');
    const { config } = c.get('services');
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(
      {
        resource: mcpResourceUrl(config, id),
        authorization_servers: [issuerOf(config)],
        scopes_supported: [...OAUTH_SCOPES],
        bearer_methods_supported: ['header'],
        resource_name: `Hangar deployment ${id}`,
      },
      200,
    );
  });
}
