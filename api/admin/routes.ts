import { decodeCursor, encodeCursor, invalidCursor } from '../http/cursor.ts';
import { createRoute, z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized, requireAuth } from '../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent, PageQuerySchema, UserSchema, userView } from '../auth/schemas.ts';
import { endOtherSessions } from '../auth/sessions.ts';
import type { App } from '../http/context.ts';
import { ConflictError, NotFoundError } from '../http/errors.ts';
import { deleteUser } from '../users/privacy.ts';
import { registerSettingsRoutes } from '../settings/routes.ts';

const UserParams = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'usr_0123456789abcdef' }) });
const MailSchema = z.object({ id: z.string(), to: z.string(), subject: z.string(), body: z.string(), createdAt: z.string() }).openapi('OutboxMessage');
const ADMIN = { access: 'global_admin' } as const;

const listUsers = authorized(
  createRoute({
    method: 'get', path: '/v1/admin/users', tags: ['admin'], summary: 'All users',
    request: { query: PageQuerySchema },
    responses: { 200: jsonContent(z.object({ data: z.array(UserSchema), nextCursor: z.string().nullable() }), 'A page of users'), ...errorResponses(400, 401, 403) },
  }),
  ADMIN,
);
const disable = authorized(
  createRoute({
    method: 'post', path: '/v1/admin/users/{id}/disable', tags: ['admin'], summary: 'Disable a user: their sessions and keys stop working at once',
    request: { params: UserParams },
    responses: { 200: jsonContent(UserSchema, 'Disabled'), ...errorResponses(401, 403, 404, 409) },
  }),
  ADMIN,
);
const enable = authorized(
  createRoute({
    method: 'post', path: '/v1/admin/users/{id}/enable', tags: ['admin'], summary: 'Re-enable a disabled user',
    request: { params: UserParams },
    responses: { 200: jsonContent(UserSchema, 'Enabled'), ...errorResponses(401, 403, 404) },
  }),
  ADMIN,
);
const removeUser = authorized(
  createRoute({
    method: 'delete', path: '/v1/admin/users/{id}', tags: ['admin'], summary: 'Delete a user (same rules as DELETE /v1/me)',
    request: { params: UserParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
  }),
  ADMIN,
);
const outbox = authorized(
  createRoute({
    method: 'get', path: '/v1/admin/outbox', tags: ['admin'], summary: 'Mail held in the local outbox, newest first',
    request: { query: PageQuerySchema },
    responses: { 200: jsonContent(z.object({ data: z.array(MailSchema), nextCursor: z.string().nullable() }), 'A page of mail'), ...errorResponses(400, 401, 403) },
  }),
  ADMIN,
);

/** Global-admin routes: users, settings, outbox. */
export function registerAdminRoutes(app: App): void {
  app.openapi(listUsers, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const after = decodeCursor(cursor, /^usr_[0-9a-z]{16}$/);
    const rows = await c.get('services').db.user.findMany({ where: after ? { id: { gt: after } } : {}, orderBy: { id: 'asc' }, take: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({ data: page.map(userView), nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null }, 200);
  });
  app.openapi(disable, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    if (id === principal.userId) throw new ConflictError('You cannot disable yourself', 'cannot_disable_self');
    const found = await services.db.user.findUnique({ where: { id } });
    if (!found) throw new NotFoundError('User');
    const user = await services.db.user.update({ where: { id }, data: { disabledAt: found.disabledAt ?? services.clock.now() } });
    await endOtherSessions(services, id);
    await services.audit.record({ ...auditActor(c), action: 'admin.user.disable', resourceType: 'user', resourceId: id });
    return c.json(userView(user), 200);
  });
  app.openapi(enable, async (c) => {
    const services = c.get('services');
    const { id } = c.req.valid('param');
    if (!(await services.db.user.findUnique({ where: { id } }))) throw new NotFoundError('User');
    const user = await services.db.user.update({ where: { id }, data: { disabledAt: null } });
    await services.audit.record({ ...auditActor(c), action: 'admin.user.enable', resourceType: 'user', resourceId: id });
    return c.json(userView(user), 200);
  });
  app.openapi(removeUser, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    if (id === principal.userId) throw new ConflictError('Use DELETE /v1/me to delete your own account', 'cannot_delete_self');
    if (!(await services.db.user.findUnique({ where: { id } }))) throw new NotFoundError('User');
    const { deletedTeamIds } = await deleteUser(services, id);
    await services.audit.record({ ...auditActor(c), action: 'admin.user.delete', resourceType: 'user', resourceId: id, data: { deletedTeamIds } });
    return c.body(null, 204);
  });
  // Settings live in api/settings (plain values and vault-encrypted ones such as the SMTP password).
  registerSettingsRoutes(app);
  app.openapi(outbox, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    // Cursor: `<createdAt ISO>|<id>` of the last mail shown, matching the sort (newest first, id breaks ties).
    const position = decodeCursor(cursor, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|mail_[0-9a-z]{16}$/);
    const [at, id] = position?.split('|') ?? [];
    const before = at && id ? { at: new Date(at), id } : undefined;
    if (before && Number.isNaN(before.at.getTime())) throw invalidCursor();
    const rows = await c.get('services').db.mailMessage.findMany({
      where: before ? { OR: [{ createdAt: { lt: before.at } }, { createdAt: before.at, id: { lt: before.id } }] } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor(`${last.createdAt.toISOString()}|${last.id}`) : null;
    return c.json({ data: page.map((m) => ({ id: m.id, to: m.to, subject: m.subject, body: m.body, createdAt: m.createdAt.toISOString() })), nextCursor }, 200);
  });
}
