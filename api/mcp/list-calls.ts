import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonContent } from '../auth/schemas.ts';
import { authorizedDeployment } from '../deployments/access.ts';
import { DeploymentParams } from '../deployments/routes/params.ts';
import type { App } from '../http/context.ts';
import { decodeCursor, encodeCursor, invalidCursor } from '../http/cursor.ts';

export const CallSchema = z
  .object({
    time: z.string().openapi({ description: 'When the request reached Hangar (ISO 8601)', example: '2026-12-04T21:00:00.000Z' }),
    method: z.string().openapi({ description: 'JSON-RPC method (`batch`, `invalid`, `response`, or `GET`/`DELETE` for a body-less request)', example: 'tools/call' }),
    tool: z.string().nullable().openapi({ description: 'The called tool of a `tools/call`', example: 'get-sum' }),
    durationMs: z.number().int().openapi({ description: 'Until the answer ended (an SSE stream: until it closed)', example: 12 }),
    outcome: z.enum(['ok', 'error']).openapi({ description: '`error`: a JSON-RPC error, a tool result with `isError`, an HTTP error, or the deployment unreachable' }),
    errorCode: z.number().int().nullable().openapi({ description: 'The JSON-RPC error code, when there was one', example: -32602 }),
    keyId: z.string().nullable().openapi({ description: 'The API key that made the request (null: a browser session)', example: 'key_0123456789abcdef' }),
  })
  .openapi('DeploymentCall');

export type CallView = z.infer<typeof CallSchema>;

const CallsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().max(200).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'Opaque cursor from `nextCursor`' }),
});

const route = authorizedDeployment(
  createRoute({
    method: 'get',
    path: '/v1/deployments/{id}/calls',
    tags: ['deployments'],
    summary: 'The MCP call log: one row per request through the proxy, newest first',
    description:
      'Never arguments or results. Rows are written in batches a second or so after the request ends and kept for `HANGAR_CALL_LOG_RETENTION_DAYS` (14 by default). Pass `nextCursor` back as `cursor` for older rows.',
    request: { params: DeploymentParams, query: CallsQuery },
    responses: {
      200: jsonContent(z.object({ data: z.array(CallSchema), nextCursor: z.string().nullable() }), 'Calls, newest first'),
      ...errorResponses(400, 401, 403, 404, 429),
    },
  }),
  { access: 'resource', role: 'viewer', scope: 'read' },
);

/** Cursor position: `<createdAt ISO>|<id>` of the last row shown, matching the sort (newest first, id breaks ties). */
const POSITION = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|\d{1,18}$/;

/** `GET /v1/deployments/{id}/calls?limit=&cursor=`. */
export function registerListCalls(app: App): void {
  app.openapi(route, async (c) => {
    const dep = c.get('deployment');
    const { limit, cursor } = c.req.valid('query');
    const [at, id] = decodeCursor(cursor, POSITION)?.split('|') ?? [];
    const before = at && id ? { at: new Date(at), id: BigInt(id) } : undefined;
    if (before && Number.isNaN(before.at.getTime())) throw invalidCursor();
    const rows = await c.get('services').db.deploymentCall.findMany({
      where: { deploymentId: dep.id, ...(before ? { OR: [{ createdAt: { lt: before.at } }, { createdAt: before.at, id: { lt: before.id } }] } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const data: CallView[] = page.map((r) => ({
      time: r.createdAt.toISOString(),
      method: r.method,
      tool: r.tool,
      durationMs: r.durationMs,
      outcome: r.outcome === 'error' ? 'error' : 'ok',
      errorCode: r.errorCode,
      keyId: r.keyId,
    }));
    return c.json({ data, nextCursor: rows.length > limit && last ? encodeCursor(`${last.createdAt.toISOString()}|${last.id}`) : null }, 200);
  });
}
