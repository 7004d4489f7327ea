import { createRoute, z } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../../http/cursor.ts';
import { DeploymentSchema, deploymentView } from '../schemas.ts';
import { DEPLOYMENT_STATES } from '../states.ts';
import { TeamParams } from '../../http/params.ts';
import { PageQuery } from './params.ts';

const route = authorized(
  createRoute({
    method: 'get',
    path: '/v1/teams/{team}/deployments',
    tags: ['deployments'],
    summary: "List the team's deployments, newest first",
    request: {
      params: TeamParams,
      query: PageQuery.extend({
        state: z.enum(DEPLOYMENT_STATES).optional().openapi({ param: { name: 'state', in: 'query' }, description: 'Only deployments in this observed state', example: 'running' }),
      }),
    },
    responses: {
      200: jsonContent(z.object({ data: z.array(DeploymentSchema), nextCursor: z.string().nullable() }), 'A page of deployments'),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  }),
  { access: 'team', role: 'viewer', scope: 'read' },
);

/** Cursor = base64url of `<createdAt ISO>|<id>`: stable under inserts, opaque to clients. */
function readCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  const position = decodeCursor(cursor, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|dep_[0-9a-z]{16}$/);
  if (position === undefined) return undefined;
  const [at, id] = position.split('|');
  const createdAt = new Date(at ?? '');
  if (!id || Number.isNaN(createdAt.getTime())) throw invalidCursor();
  return { createdAt, id };
}

/** `GET /v1/teams/{team}/deployments?state=&limit=&cursor=`. */
export function registerListDeployments(app: App): void {
  app.openapi(route, async (c) => {
    const { team } = c.get('teamAccess');
    const { limit, cursor, state } = c.req.valid('query');
    const after = readCursor(cursor);
    const services = c.get('services');
    const rows = await services.db.deployment.findMany({
      where: {
        teamId: team.id,
        ...(state ? { state } : {}),
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor(`${last.createdAt.toISOString()}|${last.id}`) : null;
    return c.json({ data: page.map((d) => deploymentView(d, services.config.publicUrl)), nextCursor }, 200);
  });
}
