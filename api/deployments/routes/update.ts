import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { authorizedDeployment, deploymentContext } from '../access.ts';
import { DeploymentSchema, deploymentView, UpdateDeploymentSchema } from '../schemas.ts';
import { updateDeployment } from '../service.ts';
import { DeploymentParams } from './params.ts';

const route = authorizedDeployment(
  createRoute({
    method: 'patch',
    path: '/v1/deployments/{id}',
    tags: ['deployments'],
    summary: 'Change the package version or launch spec; the machine is replaced in place',
    request: { params: DeploymentParams, body: jsonBody(UpdateDeploymentSchema) },
    responses: {
      202: jsonContent(DeploymentSchema, 'Accepted: the reconciler rolls the machine to the new generation'),
      ...errorResponses(400, 401, 403, 404, 409, 429),
    },
  }),
  { access: 'resource', role: 'member', scope: 'write', verified: true },
);

/** `PATCH /v1/deployments/{id}`. */
export function registerUpdateDeployment(app: App): void {
  app.openapi(route, async (c) => {
    const dep = c.get('deployment');
    const updated = await updateDeployment(deploymentContext(c), dep, c.req.valid('json'));
    return c.json(deploymentView(updated, c.get('services').config.publicUrl), 202);
  });
}
