import { createRoute } from '@hono/zod-openapi';
import { auditActor } from '../audit/audit-context.ts';
import { authorized } from '../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../auth/schemas.ts';
import type { App } from '../http/context.ts';
import { AdminSettingsPatchSchema, AdminSettingsSchema, readAdminSettings, updateAdminSettings } from './admin-settings.ts';

const ADMIN = { access: 'global_admin' } as const;

const getRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/admin/settings',
    tags: ['admin'],
    summary: 'Operator settings (sensitive ones masked)',
    responses: { 200: jsonContent(AdminSettingsSchema, 'Settings'), ...errorResponses(401, 403) },
  }),
  ADMIN,
);

const putRoute = authorized(
  createRoute({
    method: 'put',
    path: '/v1/admin/settings',
    tags: ['admin'],
    summary: 'Change operator settings',
    description: 'Only the fields given change. Sensitive values (smtpPassword) are encrypted with the vault and never returned; null removes one.',
    request: { body: jsonBody(AdminSettingsPatchSchema) },
    responses: { 200: jsonContent(AdminSettingsSchema, 'Settings'), ...errorResponses(400, 401, 403) },
  }),
  ADMIN,
);

/** `GET/PUT /v1/admin/settings` (global admins). */
export function registerSettingsRoutes(app: App): void {
  app.openapi(getRoute, async (c) => {
    const { db, vault } = c.get('services');
    return c.json(await readAdminSettings({ db, vault }), 200);
  });
  app.openapi(putRoute, async (c) => {
    const services = c.get('services');
    const { settings, plain, sensitive } = await updateAdminSettings(services, c.req.valid('json'));
    // Sensitive settings are named in a list (values never reach the audit log).
    await services.audit.record({ ...auditActor(c), action: 'admin.settings.update', resourceType: 'settings', data: { ...plain, sensitiveChanged: sensitive } });
    return c.json(settings, 200);
  });
}
