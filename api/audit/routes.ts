import { createRoute, z } from '@hono/zod-openapi';
import { authorized } from '../auth/permissions.ts';
import { errorResponses, jsonContent, PageQuerySchema } from '../auth/schemas.ts';
import type { Db } from '../db/pool.ts';
import type { App } from '../http/context.ts';
import { decodeNumericCursor } from '../http/cursor.ts';
import { TeamParams } from '../http/params.ts';

const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ example: '42' }),
    teamId: z.string().nullable(),
    actorUserId: z.string().nullable(),
    actorKeyId: z.string().nullable(),
    action: z.string().openapi({ example: 'team.member.remove' }),
    resourceType: z.string().openapi({ example: 'membership' }),
    resourceId: z.string().nullable(),
    outcome: z.string().openapi({ example: 'success' }),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    data: z.unknown(),
    createdAt: z.string(),
  })
  .openapi('AuditEntry');
const AuditPageSchema = z.object({ data: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }).openapi('AuditPage');

/** One page of audit entries, newest first; the cursor is the last id seen. */
export async function listAuditEntries(db: Db, where: { teamId?: string }, page: { limit: number; cursor?: string | undefined }) {
  const before = decodeNumericCursor(page.cursor);
  const rows = await db.auditEntry.findMany({
    where: { ...where, ...(before !== undefined ? { id: { lt: before } } : {}) },
    orderBy: { id: 'desc' },
    take: page.limit + 1,
  });
  const more = rows.length > page.limit;
  const data = rows.slice(0, page.limit).map((r) => ({
    id: r.id.toString(), teamId: r.teamId, actorUserId: r.actorUserId, actorKeyId: r.actorKeyId, action: r.action, resourceType: r.resourceType,
    resourceId: r.resourceId, outcome: r.outcome, ip: r.ip, requestId: r.requestId, data: r.data, createdAt: r.createdAt.toISOString(),
  }));
  return { data, nextCursor: more ? (data.at(-1)?.id ?? null) : null };
}

const teamAudit = authorized(
  createRoute({
    method: 'get', path: '/v1/teams/{team}/audit', tags: ['audit'], summary: 'The team’s audit log, newest first (team admins)',
    request: { params: TeamParams, query: PageQuerySchema },
    responses: { 200: jsonContent(AuditPageSchema, 'A page of entries'), ...errorResponses(400, 401, 403, 404) },
  }),
  { access: 'team', role: 'admin', scope: 'read' },
);
const adminAudit = authorized(
  createRoute({
    method: 'get', path: '/v1/admin/audit', tags: ['audit', 'admin'], summary: 'The whole audit log, newest first (global admins)',
    request: { query: PageQuerySchema.extend({ teamId: z.string().max(64).optional() }) },
    responses: { 200: jsonContent(AuditPageSchema, 'A page of entries'), ...errorResponses(400, 401, 403) },
  }),
  { access: 'global_admin' },
);

/** `GET /v1/teams/{team}/audit` and `GET /v1/admin/audit`. */
export function registerAuditRoutes(app: App): void {
  app.openapi(teamAudit, async (c) => {
    const { team } = c.get('teamAccess');
    return c.json(await listAuditEntries(c.get('services').db, { teamId: team.id }, c.req.valid('query')), 200);
  });
  app.openapi(adminAudit, async (c) => {
    const query = c.req.valid('query');
    return c.json(await listAuditEntries(c.get('services').db, query.teamId ? { teamId: query.teamId } : {}, query), 200);
  });
}
