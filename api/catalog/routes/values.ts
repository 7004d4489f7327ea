import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { auditActor } from '../../audit/audit-context.ts';
import { authorized, requireAuth } from '../../auth/permissions.ts';
import { ErrorSchema, errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import type { App, AppEnv } from '../../http/context.ts';
import { PutTeamValuesSchema, PutUserValuesSchema, SlugParams, TeamSlugParams, TemplateValuesSchema } from '../schemas.ts';
import { getTemplate } from '../templates.ts';
import { putValues, readValues, type ValueOwner } from '../values.ts';

const rejected = { description: 'A locked field, or a URL whose host the launch-spec rules refuse', content: { 'application/json': { schema: ErrorSchema } } };

const getTeamRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/teams/{team}/templates/{slug}/values',
    tags: ['catalog'],
    summary: "The team's values for a template (secrets masked)",
    description: 'Every team member may read them, so deployments can be made; secret values are always `*****` and no endpoint returns them.',
    request: { params: TeamSlugParams },
    responses: { 200: jsonContent(TemplateValuesSchema, 'Team values'), ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'team', role: 'viewer', scope: 'read' },
);

const putTeamRoute = authorized(
  createRoute({
    method: 'put',
    path: '/v1/teams/{team}/templates/{slug}/values',
    tags: ['catalog'],
    summary: "Set the team's values for a template (team admins)",
    description:
      'Named fields are set (null clears), others are kept. `locked` makes a team value win over users\' values. ' +
      "Deployments of the team made from the template pick the change up: waiting ones start once complete, launched ones roll.",
    request: { params: TeamSlugParams, body: jsonBody(PutTeamValuesSchema) },
    responses: { 200: jsonContent(TemplateValuesSchema, 'Team values after the change'), 422: rejected, ...errorResponses(400, 401, 403, 404, 429) },
  }),
  { access: 'team', role: 'admin', scope: 'write' },
);

const getUserRoute = authorized(
  createRoute({
    method: 'get',
    path: '/v1/me/templates/{slug}/values',
    tags: ['catalog'],
    summary: 'Your own values for a template (secrets masked)',
    request: { params: SlugParams },
    responses: { 200: jsonContent(TemplateValuesSchema, 'Your values'), ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'signed_in', scope: 'read' },
);

const putUserRoute = authorized(
  createRoute({
    method: 'put',
    path: '/v1/me/templates/{slug}/values',
    tags: ['catalog'],
    summary: 'Set your own values for a template',
    description: 'They apply to every deployment you make from it, over the team values unless the team locked the field.',
    request: { params: SlugParams, body: jsonBody(PutUserValuesSchema) },
    responses: { 200: jsonContent(TemplateValuesSchema, 'Your values after the change'), 422: rejected, ...errorResponses(400, 401, 403, 404, 429) },
  }),
  { access: 'signed_in', scope: 'write' },
);

function ownerOf(c: Context<AppEnv>, tier: 'team' | 'user'): ValueOwner {
  return tier === 'team' ? { scope: 'team', teamId: c.get('teamAccess').team.id } : { scope: 'user', userId: requireAuth(c).userId };
}

/** Team and user template values: `GET/PUT /v1/teams/{team}/templates/{slug}/values`, `GET/PUT /v1/me/templates/{slug}/values`. */
export function registerTemplateValues(app: App): void {
  for (const [route, tier] of [[getTeamRoute, 'team'], [getUserRoute, 'user']] as const) {
    app.openapi(route, async (c) => {
      const services = c.get('services');
      const template = await getTemplate(services, c.req.param('slug') ?? '');
      return c.json(await readValues(services, template, ownerOf(c, tier)), 200);
    });
  }
  app.openapi(putTeamRoute, async (c) => {
    const services = c.get('services');
    const template = await getTemplate(services, c.req.valid('param').slug);
    return c.json(await putValues(services, auditActor(c), template, ownerOf(c, 'team'), c.req.valid('json')), 200);
  });
  app.openapi(putUserRoute, async (c) => {
    const services = c.get('services');
    const template = await getTemplate(services, c.req.valid('param').slug);
    return c.json(await putValues(services, auditActor(c), template, ownerOf(c, 'user'), c.req.valid('json')), 200);
  });
}
