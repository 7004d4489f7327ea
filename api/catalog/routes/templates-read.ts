import { createRoute } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { decodeCursor, encodeCursor } from '../../http/cursor.ts';
import { SlugParams, TemplateListQuery, TemplatePageSchema, TemplateSchema, templateView } from '../schemas.ts';
import { getTemplate, listTemplates } from '../templates.ts';

const listRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/templates',
    tags: ['catalog'],
    summary: 'The server catalog: templates by slug',
    description: 'Every signed-in user may browse the catalog. Retired templates are left out unless `retired=true`.',
    request: { query: TemplateListQuery },
    responses: { 200: jsonContent(TemplatePageSchema, 'A page of templates'), ...errorResponses(400, 401, 403, 429) },
  }),
  { access: 'signed_in', scope: 'read' },
);

const getRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/templates/{slug}',
    tags: ['catalog'],
    summary: 'One template with its configuration schema',
    request: { params: SlugParams },
    responses: { 200: jsonContent(TemplateSchema, 'The template'), ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'signed_in', scope: 'read' },
);

function readCursor(cursor: string | undefined): string | undefined {
  return decodeCursor(cursor, /^[a-z][a-z0-9-]{0,63}$/);
}

/** `GET /v1/templates` and `GET /v1/templates/{slug}`. */
export function registerTemplateReads(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { limit, cursor, retired } = c.req.valid('query');
    const { rows, next } = await listTemplates(c.get('services'), { limit, after: readCursor(cursor), includeRetired: retired === 'true' });
    return c.json({ data: rows.map(templateView), nextCursor: next === null ? null : encodeCursor(next) }, 200);
  });
  app.openapi(getRoute, async (c) => {
    return c.json(templateView(await getTemplate(c.get('services'), c.req.valid('param').slug)), 200);
  });
}
