import { createRoute } from '@hono/zod-openapi';
import { auditActor } from '../../audit/audit-context.ts';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import { ErrorSchema } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { CreateTemplateSchema, SlugParams, TemplateSchema, templateView, UpdateTemplateSchema } from '../schemas.ts';
import { createTemplate, retireTemplate, updateTemplate } from '../templates.ts';

const rejected = { description: 'Rejected by Admission or the launch-spec rules', content: { 'application/json': { schema: ErrorSchema } } };
const unavailable = { description: 'The package registry is unavailable', content: { 'application/json': { schema: ErrorSchema } } };

const createTemplateRoute = authorized(
  createRoute({
    method: 'post',
    path: '/v1/templates',
    tags: ['catalog'],
    summary: 'Add a template to the catalog (global admins)',
    description: 'The package must pass Admission and the arguments and defaults the launch-spec rules; secret fields take no default.',
    request: { body: jsonBody(CreateTemplateSchema) },
    responses: { 201: jsonContent(TemplateSchema, 'Added'), 422: rejected, 503: unavailable, ...errorResponses(400, 401, 403, 409, 429) },
  }),
  { access: 'global_admin' },
);

const updateTemplateRoute = authorized(
  createRoute({
    method: 'patch',
    path: '/v1/templates/{slug}',
    tags: ['catalog'],
    summary: 'Change a template (global admins)',
    description: 'Passes the same gates as a new template. Deployments made from it merge their values again (waiting ones may start; changed ones roll).',
    request: { params: SlugParams, body: jsonBody(UpdateTemplateSchema) },
    responses: { 200: jsonContent(TemplateSchema, 'Changed'), 422: rejected, 503: unavailable, ...errorResponses(400, 401, 403, 404, 429) },
  }),
  { access: 'global_admin' },
);

const retireTemplateRoute = authorized(
  createRoute({
    method: 'delete',
    path: '/v1/templates/{slug}',
    tags: ['catalog'],
    summary: 'Retire a template (global admins)',
    description: 'It stays readable and its deployments keep running; new deployments from it are refused (422 `template_retired`).',
    request: { params: SlugParams },
    responses: { 204: { description: 'Retired' }, ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'global_admin' },
);

/** `POST /v1/templates`, `PATCH /v1/templates/{slug}`, `DELETE /v1/templates/{slug}`. */
export function registerTemplateWrites(app: App): void {
  app.openapi(createTemplateRoute, async (c) => {
    const row = await createTemplate(c.get('services'), auditActor(c), c.req.valid('json'));
    return c.json(templateView(row), 201);
  });
  app.openapi(updateTemplateRoute, async (c) => {
    const row = await updateTemplate(c.get('services'), auditActor(c), c.req.valid('param').slug, c.req.valid('json'));
    return c.json(templateView(row), 200);
  });
  app.openapi(retireTemplateRoute, async (c) => {
    await retireTemplate(c.get('services'), auditActor(c), c.req.valid('param').slug);
    return c.body(null, 204);
  });
}
