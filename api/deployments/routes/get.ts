import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { authorizedDeployment } from '../access.ts';
import { DeploymentSchema, deploymentView } from '../schemas.ts';
import { DeploymentParams } from './params.ts';

const route = authorizedDeployment(
  createRoute({
    method: 'get',
    path: '/v1/deployments/{id}',
    tags: ['deployments'],
    summary: 'A deployment: observed and desired state, pinned version, admission flags, MCP URL',
    request: { params: DeploymentParams },
    responses: { 200: jsonContent(DeploymentSchema, 'The deployment'), ...errorResponses(401, 403, 404, 429) },
  }),
  { access: 'resource', role: 'viewer', scope: 'read' },
);

/** `GET /v1/deployments/{id}`. */
export function registerGetDeployment(app: App): void {
  app.openapi(route, async (c) => {
    const dep = c.get('deployment');
    return c.json(deploymentView(dep, c.get('services').config.publicUrl), 200);
  });
}
