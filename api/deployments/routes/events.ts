import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { decodeNumericCursor } from '../../http/cursor.ts';
import { authorizedDeployment } from '../access.ts';
import { DeploymentEventSchema } from '../schemas.ts';
import { DeploymentParams, PageQuery } from './params.ts';

const route = authorizedDeployment(
  createRoute({
    method: 'get',
    path: '/v1/deployments/{id}/events',
    tags: ['deployments'],
    summary: 'State changes, restarts, health transitions and exits, with reasons, oldest first',
    description: 'Pass `nextCursor` back as `cursor` to read on; an empty page with the same cursor means nothing new yet (follow mode polls this).',
    request: { params: DeploymentParams, query: PageQuery },
    responses: {
      200: jsonContent(z.object({ data: z.array(DeploymentEventSchema), nextCursor: z.string().nullable() }), 'Events'),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  }),
  { access: 'resource', role: 'viewer', scope: 'read' },
);

/** `GET /v1/deployments/{id}/events?cursor=&limit=`. */
export function registerDeploymentEvents(app: App): void {
  app.openapi(route, async (c) => {
    const dep = c.get('deployment');
    const { limit, cursor } = c.req.valid('query');
    const after = decodeNumericCursor(cursor) ?? 0n;
    const rows = await c.get('services').db.deploymentEvent.findMany({
      where: { deploymentId: dep.id, id: { gt: after } },
      orderBy: { id: 'asc' },
      take: limit,
    });
    const data = rows.map((e) => ({
      id: e.id.toString(),
      type: e.type,
      fromState: e.fromState,
      toState: e.toState,
      reason: e.reason,
      data: (e.data ?? {}) as Record<string, unknown>,
      createdAt: e.createdAt.toISOString(),
    }));
    return c.json({ data, nextCursor: data.at(-1)?.id ?? cursor ?? null }, 200);
  });
}
