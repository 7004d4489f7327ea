import { z } from '@hono/zod-openapi';
import { guard } from '../auth/permissions.ts';
import type { App } from '../http/context.ts';
import { limitClientEndpoint, OAuthErrorSchema, oauthErrorResponse, readForm } from './oauth-http.ts';
import { OAuthError, revokeToken } from './tokens.ts';
import { OAUTH_PATHS } from './urls.ts';

/**
 * `POST /oauth/revoke` (RFC 7009): revokes the grant behind an access or refresh token, so the whole
 * family stops at once. Unknown or foreign tokens get the same 200 (§2.2): the answer tells nothing.
 */
export function registerOAuthRevoke(app: App): void {
  app.post(OAUTH_PATHS.revoke, guard({ access: 'public' }), async (c) => {
    try {
      if (!(await limitClientEndpoint(c, 'revoke', 300))) return c.json({ error: 'slow_down', error_description: 'Too many requests; retry later' }, 429);
      const form = await readForm(c);
      if (!form.token || form.token.length > 200) throw new OAuthError('invalid_request', 'token is required');
      await revokeToken(c.get('services'), { token: form.token, clientId: form.client_id });
      c.header('Cache-Control', 'no-store');
      return c.body(null, 200);
    } catch (error) {
      if (error instanceof OAuthError) return oauthErrorResponse(c, error);
      throw error;
    }
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: OAUTH_PATHS.revoke,
    tags: ['oauth'],
    summary: 'Revoke an OAuth access or refresh token, and with it its whole grant (RFC 7009)',
    description: 'No credentials needed (public clients). Body: application/x-www-form-urlencoded.',
    'x-permission': { access: 'public' },
    request: {
      body: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({ token: z.string(), token_type_hint: z.enum(['access_token', 'refresh_token']).optional(), client_id: z.string().optional() }),
          },
        },
      },
    },
    responses: {
      200: { description: 'Revoked, or nothing to revoke' },
      400: { description: 'No token given', content: { 'application/json': { schema: OAuthErrorSchema } } },
    },
  });
}
