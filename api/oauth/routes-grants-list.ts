import { createRoute, z } from '@hono/zod-openapi';
import { authorized, requireAuth } from '../auth/permissions.ts';
import { errorResponses, jsonContent } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';

export const GrantSchema = z
  .object({
    id: z.string().openapi({ example: 'ogr_0123456789abcdef' }),
    clientId: z.string().openapi({ description: 'The client: a metadata document URL, or a registered `oac_` id', example: 'https://claude.ai/oauth/mcp-client.json' }),
    clientName: z.string().openapi({ example: 'Claude' }),
    deploymentId: z.string().openapi({ example: 'dep_0123456789abcdef' }),
    deploymentName: z.string().openapi({ example: 'github-tools' }),
    teamId: z.string().openapi({ example: 'team_0123456789abcdef' }),
    scopes: z.array(z.string()).openapi({ example: ['mcp', 'offline_access'] }),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().openapi({ description: 'Last MCP call with one of its tokens (updated at most once a minute)' }),
  })
  .openapi('OAuthGrant');
export type GrantView = z.infer<typeof GrantSchema>;

const list = authorized(
  createRoute({
    method: 'get', path: '/v1/me/grants', tags: ['oauth'], summary: 'List the OAuth grants the caller gave to MCP clients (live ones only)',
    responses: { 200: jsonContent(z.object({ data: z.array(GrantSchema) }), 'Grants, newest first'), ...errorResponses(401, 403) },
  }),
  { access: 'signed_in', scope: 'read' },
);

/** `GET /v1/me/grants`: the caller's unrevoked grants on deployments that still exist. */
export function registerListGrants(app: App): void {
  app.openapi(list, async (c) => {
    const principal = requireAuth(c, { scope: 'read' });
    const rows = await c.get('services').db.oAuthGrant.findMany({
      where: { userId: principal.userId, revokedAt: null, deployment: { desiredState: { not: 'deleted' }, ...(principal.teamId ? { teamId: principal.teamId } : {}) } },
      include: { deployment: { select: { name: true, teamId: true } } },
      orderBy: { createdAt: 'desc' },
      take: 500,
    });
    const data: GrantView[] = rows.map((g) => ({
      id: g.id,
      clientId: g.clientId,
      clientName: g.clientName,
      deploymentId: g.deploymentId,
      deploymentName: g.deployment.name,
      teamId: g.deployment.teamId,
      scopes: g.scopes,
      createdAt: g.createdAt.toISOString(),
      lastUsedAt: g.lastUsedAt?.toISOString() ?? null,
    }));
    return c.json({ data }, 200);
  });
}
