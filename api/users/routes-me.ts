import { createRoute, z } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized, requireAuth } from '../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent, UserSchema, userView } from '../auth/schemas.ts';
import { clearSessionCookie } from '../auth/sessions.ts';
import type { App } from '../http/context.ts';
import { NotFoundError } from '../http/errors.ts';
import { deleteUser, exportUserData } from './privacy.ts';

const SessionSchema = z
  .object({
    id: z.string().openapi({ example: 'ses_0123456789abcdef' }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean().openapi({ description: 'The session making this request' }),
  })
  .openapi('Session');
const IdParams = z.object({ id: z.string().max(64).openapi({ param: { name: 'id', in: 'path' }, example: 'ses_0123456789abcdef' }) });

const getMe = authorized(
  createRoute({ method: 'get', path: '/v1/me', tags: ['me'], summary: 'The caller', responses: { 200: jsonContent(UserSchema, 'The caller'), ...errorResponses(401, 403) } }),
  { access: 'signed_in', scope: 'read' },
);
const patchMe = authorized(
  createRoute({
    method: 'patch', path: '/v1/me', tags: ['me'], summary: 'Change the caller’s display name',
    request: { body: jsonBody(z.object({ name: z.string().trim().min(1).max(100).nullable().openapi({ example: 'Ada' }) })) },
    responses: { 200: jsonContent(UserSchema, 'Updated'), ...errorResponses(400, 401, 403) },
  }),
  { access: 'signed_in', scope: 'write' },
);
const exportMe = authorized(
  createRoute({
    method: 'get', path: '/v1/me/export', tags: ['me'], summary: 'Export everything Hangar holds about the caller (secrets masked)',
    responses: { 200: jsonContent(z.record(z.string(), z.unknown()).openapi('UserExport'), 'The export'), ...errorResponses(401, 403) },
  }),
  { access: 'signed_in', scope: 'admin' },
);
const deleteMe = authorized(
  createRoute({
    method: 'delete', path: '/v1/me', tags: ['me'], summary: 'Delete the caller’s account and the teams only they belong to',
    responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 409) },
  }),
  { access: 'signed_in', scope: 'admin' },
);
const listSessions = authorized(
  createRoute({
    method: 'get', path: '/v1/me/sessions', tags: ['me'], summary: 'The caller’s active sessions',
    responses: { 200: jsonContent(z.object({ data: z.array(SessionSchema) }), 'Sessions'), ...errorResponses(401, 403) },
  }),
  { access: 'signed_in', scope: 'read' },
);
const deleteSession = authorized(
  createRoute({
    method: 'delete', path: '/v1/me/sessions/{id}', tags: ['me'], summary: 'End one of the caller’s sessions at once',
    request: { params: IdParams },
    responses: { 204: { description: 'Ended' }, ...errorResponses(401, 403, 404) },
  }),
  { access: 'signed_in', scope: 'write' },
);

/** `GET/PATCH/DELETE /v1/me`, `GET /v1/me/export`, `GET /v1/me/sessions`, `DELETE /v1/me/sessions/{id}`. */
export function registerMeRoutes(app: App): void {
  app.openapi(getMe, async (c) => {
    const principal = requireAuth(c);
    // The row the credential lookup already holds (cached until any change to the user notifies).
    const authentication = c.get('authentication');
    const user = authentication.state === 'valid' && authentication.user ? authentication.user : await c.get('services').db.user.findUniqueOrThrow({ where: { id: principal.userId } });
    return c.json(userView(user), 200);
  });
  app.openapi(patchMe, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const user = await services.db.user.update({ where: { id: principal.userId }, data: { name: c.req.valid('json').name } });
    await services.audit.record({ ...auditActor(c), action: 'user.update', resourceType: 'user', resourceId: user.id, data: { fields: ['name'] } });
    return c.json(userView(user), 200);
  });
  app.openapi(exportMe, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const data = await exportUserData(services, principal.userId);
    await services.audit.record({ ...auditActor(c), action: 'user.export', resourceType: 'user', resourceId: principal.userId });
    return c.json(data, 200);
  });
  app.openapi(deleteMe, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const { deletedTeamIds } = await deleteUser(services, principal.userId);
    await services.audit.record({ ...auditActor(c), action: 'user.delete', resourceType: 'user', resourceId: principal.userId, data: { deletedTeamIds } });
    clearSessionCookie(c);
    return c.body(null, 204);
  });
  app.openapi(listSessions, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const rows = await services.db.session.findMany({ where: { userId: principal.userId, expiresAt: { gt: services.clock.now() } }, orderBy: { createdAt: 'desc' } });
    return c.json(
      {
        data: rows.map((s) => ({
          id: s.id, ip: s.ip, userAgent: s.userAgent, createdAt: s.createdAt.toISOString(), lastSeenAt: s.lastSeenAt.toISOString(),
          expiresAt: s.expiresAt.toISOString(), current: s.id === principal.sessionId,
        })),
      },
      200,
    );
  });
  app.openapi(deleteSession, async (c) => {
    const principal = requireAuth(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    const result = await services.db.session.deleteMany({ where: { id, userId: principal.userId } });
    if (result.count === 0) throw new NotFoundError('Session');
    await services.audit.record({ ...auditActor(c), action: 'session.delete', resourceType: 'session', resourceId: id });
    return c.body(null, 204);
  });
}
