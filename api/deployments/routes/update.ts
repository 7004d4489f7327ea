import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { authorizedDeployment, deploymentContext } from '../access.ts';
import { DeploymentSchema, deploymentView, UpdateDeploymentSchema } from '../schemas.ts';
import { updateDeployment } from '../service.ts';
import { setToolPolicy } from '../tool-policy-update.ts';
import { requireTeamRole } from '../../auth/permissions.ts';
import { DeploymentParams } from './params.ts';

const route = authorizedDeployment(
  createRoute({
    method: 'patch',
    path: '/v1/deployments/{id}',
    tags: ['deployments'],
    summary: 'Change the package version or launch spec (the machine is replaced in place), or the tool policy (applies at once)',
    description:
      '`allowTools` / `denyTools` (one of them per request) need the team role `admin`; a tool policy change alone keeps the machine and its generation. The proxy hides refused tools from `tools/list` and answers their `tools/call` with JSON-RPC error -32602 without forwarding it.',
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
    const { allowTools, denyTools, ...launch } = c.req.valid('json');
    const policy = allowTools !== undefined || denyTools !== undefined;
    // Tool policies are for team admins; the rest of PATCH for members (checked before anything changes).
    if (policy) await requireTeamRole(c, c.get('deployment').teamId, 'admin');
    const ctx = deploymentContext(c);
    let updated = c.get('deployment');
    if (Object.keys(launch).length > 0) updated = await updateDeployment(ctx, updated, launch);
    if (policy) updated = await setToolPolicy(ctx, updated, { allowTools, denyTools });
    return c.json(deploymentView(updated, c.get('services').config.publicUrl), 202);
  });
}
