import { z } from '@hono/zod-openapi';
import { guard } from '../auth/permissions.ts';
import type { App } from '../http/context.ts';
import { newId } from '../platform/ids.ts';
import { describeIssue, limitClientEndpoint, OAuthErrorSchema, oauthErrorResponse } from './oauth-http.ts';
import { redirectUriProblem } from './redirect-uris.ts';
import { OAuthError } from './tokens.ts';
import { OAUTH_PATHS } from './urls.ts';

const RegistrationSchema = z.object({
  redirect_uris: z.array(z.string().max(2000)).min(1).max(10).openapi({ example: ['http://127.0.0.1:33418/callback'] }),
  client_name: z.string().trim().min(1).max(100).optional().openapi({ example: 'VS Code' }),
  client_uri: z.string().url().max(2000).optional(),
  token_endpoint_auth_method: z.string().max(50).optional().openapi({ example: 'none' }),
  grant_types: z.array(z.string().max(50)).max(5).optional(),
  response_types: z.array(z.string().max(50)).max(5).optional(),
  scope: z.string().max(200).optional(),
});

const RegisteredSchema = z
  .object({
    client_id: z.string().openapi({ example: 'oac_0123456789abcdef' }),
    client_id_issued_at: z.number().int(),
    client_name: z.string(),
    redirect_uris: z.array(z.string()),
    token_endpoint_auth_method: z.literal('none'),
    grant_types: z.array(z.string()),
    response_types: z.array(z.string()),
  })
  .openapi('OAuthClientRegistration');

const GRANT_TYPES = ['authorization_code', 'refresh_token'];

/**
 * `POST /oauth/register` (RFC 7591 dynamic client registration), the fallback for clients without a
 * Client ID Metadata Document: public clients only (no secret is issued), redirect URIs https or (outside
 * production) loopback http. Limited per IP. Errors are RFC 7591 §3.2.2 bodies.
 */
export function registerOAuthRegister(app: App): void {
  app.post(OAUTH_PATHS.register, guard({ access: 'public' }), async (c) => {
    const services = c.get('services');
    try {
      if (!(await limitClientEndpoint(c, 'register', 60))) return c.json({ error: 'slow_down', error_description: 'Too many registrations from this address; retry later' }, 429);
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        throw new OAuthError('invalid_client_metadata', 'The body must be a JSON object');
      }
      const parsed = RegistrationSchema.safeParse(raw);
      if (!parsed.success) throw new OAuthError('invalid_client_metadata', describeIssue(parsed.error));
      const body = parsed.data;
      if (body.token_endpoint_auth_method && body.token_endpoint_auth_method !== 'none') {
        throw new OAuthError('invalid_client_metadata', 'Only public clients are supported: token_endpoint_auth_method must be none');
      }
      if (body.grant_types?.some((g) => !GRANT_TYPES.includes(g))) throw new OAuthError('invalid_client_metadata', 'grant_types may name only authorization_code and refresh_token');
      if (body.response_types?.some((r) => r !== 'code')) throw new OAuthError('invalid_client_metadata', 'response_types may name only code');
      const production = services.config.env === 'production';
      for (const uri of body.redirect_uris) {
        const problem = redirectUriProblem(uri, { production });
        if (problem) throw new OAuthError('invalid_redirect_uri', `redirect URI ${uri.slice(0, 200)} ${problem}`);
      }
      const now = services.clock.now();
      const client = await services.db.oAuthClient.create({
        data: { id: newId('oac'), name: body.client_name ?? 'Unnamed client', redirectUris: body.redirect_uris, clientUri: body.client_uri ?? null, createdAt: now },
      });
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          client_id: client.id,
          client_id_issued_at: Math.floor(now.getTime() / 1000),
          client_name: client.name,
          redirect_uris: client.redirectUris,
          token_endpoint_auth_method: 'none' as const,
          grant_types: GRANT_TYPES,
          response_types: ['code'],
        },
        201,
      );
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(c, error);
      throw error;
    }
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: OAUTH_PATHS.register,
    tags: ['oauth'],
    summary: 'Register a public OAuth client (RFC 7591); prefer a Client ID Metadata Document',
    description: 'No credentials needed.',
    'x-permission': { access: 'public' },
    request: { body: { content: { 'application/json': { schema: RegistrationSchema } } } },
    responses: {
      201: { description: 'Registered', content: { 'application/json': { schema: RegisteredSchema } } },
      400: { description: 'invalid_client_metadata or invalid_redirect_uri (RFC 7591 §3.2.2)', content: { 'application/json': { schema: OAuthErrorSchema } } },
      429: { description: 'Too many registrations from this address', content: { 'application/json': { schema: OAuthErrorSchema } } },
    },
  });
}
