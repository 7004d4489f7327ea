import { z } from '@hono/zod-openapi';
import { guard } from '../auth/permissions.ts';
import type { App } from '../http/context.ts';
import { describeIssue, limitClientEndpoint, OAuthErrorSchema, oauthErrorResponse, readForm } from './oauth-http.ts';
import { exchangeCode, OAuthError, refreshTokens, type TokenResponse } from './tokens.ts';
import { OAUTH_PATHS } from './urls.ts';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const Text = z.string().min(1).max(2000);

const CodeGrantSchema = z.object({
  grant_type: z.literal('authorization_code'),
  code: Text,
  redirect_uri: Text,
  client_id: Text,
  code_verifier: z.string().regex(VERIFIER, 'must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)'),
  resource: Text.optional(),
});
const RefreshGrantSchema = z.object({
  grant_type: z.literal('refresh_token'),
  refresh_token: Text,
  client_id: Text,
  resource: Text.optional(),
  scope: z.string().max(200).optional(),
});

const TokenResponseSchema = z
  .object({
    access_token: z.string().openapi({ example: 'hgo_0123456789abcdefghjkmnpqrstvwx' }),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ example: 3600 }),
    scope: z.string().openapi({ example: 'mcp offline_access' }),
    refresh_token: z.string().optional().openapi({ example: 'hgor_0123456789abcdefghjkmnpqrstvwx' }),
  })
  .openapi('OAuthTokenResponse');

/**
 * `POST /oauth/token` (RFC 6749 §3.2, OAuth 2.1): `authorization_code` with PKCE S256 and the RFC 8707
 * `resource`, or `refresh_token` (rotating). Public clients only: `client_id` in the body, no secret.
 * Errors are RFC 6749 §5.2 bodies; answers are never cached.
 */
export function registerOAuthToken(app: App): void {
  app.post(OAUTH_PATHS.token, guard({ access: 'public' }), async (c) => {
    const services = c.get('services');
    try {
      if (!(await limitClientEndpoint(c, 'token', 300))) return c.json({ error: 'slow_down', error_description: 'Too many token requests; retry later' }, 429);
      const form = await readForm(c);
      let tokens: TokenResponse;
      if (form.grant_type === 'authorization_code') {
        const parsed = CodeGrantSchema.safeParse(form);
        if (!parsed.success) throw new OAuthError('invalid_request', describeIssue(parsed.error));
        if (!parsed.data.resource) throw new OAuthError('invalid_target', 'resource (RFC 8707) is required: the MCP URL of the deployment');
        tokens = await exchangeCode(services, { code: parsed.data.code, clientId: parsed.data.client_id, redirectUri: parsed.data.redirect_uri, codeVerifier: parsed.data.code_verifier, resource: parsed.data.resource });
      } else if (form.grant_type === 'refresh_token') {
        const parsed = RefreshGrantSchema.safeParse(form);
        if (!parsed.success) throw new OAuthError('invalid_request', describeIssue(parsed.error));
        tokens = await refreshTokens(services, { refreshToken: parsed.data.refresh_token, clientId: parsed.data.client_id, resource: parsed.data.resource, scope: parsed.data.scope });
      } else if (form.grant_type === undefined) {
        throw new OAuthError('invalid_request', 'grant_type is required');
      } else {
        throw new OAuthError('unsupported_grant_type', 'Supported grant types: authorization_code, refresh_token');
      }
      c.header('Cache-Control', 'no-store');
      c.header('Pragma', 'no-cache');
      return c.json(tokens, 200);
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(c, error);
      throw error;
    }
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: OAUTH_PATHS.token,
    tags: ['oauth'],
    summary: 'OAuth 2.1 token endpoint: authorization code (PKCE S256, resource) or rotating refresh token',
    description: 'No credentials needed (public clients). Body: application/x-www-form-urlencoded.',
    'x-permission': { access: 'public' },
    request: {
      body: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({
              grant_type: z.enum(['authorization_code', 'refresh_token']),
              code: z.string().optional(),
              redirect_uri: z.string().optional(),
              client_id: z.string(),
              code_verifier: z.string().optional(),
              resource: z.string().optional().openapi({ description: 'The deployment’s MCP URL (RFC 8707); required with a code' }),
              refresh_token: z.string().optional(),
              scope: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: 'Tokens', content: { 'application/json': { schema: TokenResponseSchema } } },
      400: { description: 'RFC 6749 error (invalid_grant, invalid_request, invalid_target, ...)', content: { 'application/json': { schema: OAuthErrorSchema } } },
      429: { description: 'Too many requests from this address', content: { 'application/json': { schema: OAuthErrorSchema } } },
    },
  });
}
