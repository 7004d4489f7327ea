import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { authorizedDeployment, deploymentContext } from '../access.ts';
import { DeploymentSchema, deploymentView } from '../schemas.ts';
import { requestLifecycle, type LifecycleAction } from '../service.ts';
import { DeploymentParams } from './params.ts';

const SUMMARY: Record<LifecycleAction, string> = {
  start: 'Start a stopped (or failed) deployment',
  stop: 'Stop the deployment; its machine is kept',
  restart: 'Restart the deployment’s machine (also retries a failed one)',
  delete: 'Delete the deployment: destroys its machine and secrets; the team’s app goes with its last deployment',
};

function lifecycleRoute(action: LifecycleAction) {
  return authorizedDeployment(
    createRoute({
      method: action === 'delete' ? 'delete' : 'post',
      path: action === 'delete' ? '/v1/deployments/{id}' : `/v1/deployments/{id}/${action}`,
      tags: ['deployments'],
      summary: SUMMARY[action],
      request: { params: DeploymentParams },
      responses: { 202: jsonContent(DeploymentSchema, 'Accepted: the reconciler carries it out'), ...errorResponses(401, 403, 404, 409, 429) },
    }),
    { access: 'resource', role: 'member', scope: 'write' },
  );
}

/** `POST /v1/deployments/{id}/{start,stop,restart}` and `DELETE /v1/deployments/{id}`: record intent, answer 202. */
export function registerLifecycleRoutes(app: App): void {
  for (const action of ['start', 'stop', 'restart', 'delete'] as const) {
    app.openapi(lifecycleRoute(action), async (c) => {
      const dep = c.get('deployment');
      const updated = await requestLifecycle(deploymentContext(c), dep, action);
      return c.json(deploymentView(updated, c.get('services').config.publicUrl), 202);
    });
  }
}
