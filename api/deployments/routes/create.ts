import { createRoute } from '@hono/zod-openapi';
import { authorized } from '../../auth/permissions.ts';
import { errorResponses, jsonBody, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { withIdempotency } from '../../http/idempotency.ts';
import { deploymentContext } from '../access.ts';
import { CreateDeploymentSchema, DeploymentSchema, deploymentView } from '../schemas.ts';
import { createDeployment, type TemplateDeployer } from '../service.ts';
import { TeamParams } from '../../http/params.ts';

const route = authorized(
  createRoute({
    method: 'post',
    path: '/v1/teams/{team}/deployments',
    tags: ['deployments'],
    summary: 'Deploy an MCP server from an npm or PyPI package, or from a catalog template',
    description:
      'Validates the launch spec and the package (pinned to one exact version), stores the deployment and answers 202; ' +
      'the reconciler launches it. With `template`, the template\'s package and fields are used: a deployment whose required ' +
      'fields are not all set is accepted in state `awaiting_config` (see `missingFields`) and starts once they are. ' +
      'Honours `Idempotency-Key` for 24 hours.',
    request: { params: TeamParams, body: jsonBody(CreateDeploymentSchema) },
    responses: {
      202: jsonContent(DeploymentSchema, 'Accepted: the deployment is recorded and will be launched'),
      ...errorResponses(400, 401, 403, 404, 409, 422, 429, 503),
    },
  }),
  { access: 'team', role: 'member', scope: 'write', verified: true },
);

/** `POST /v1/teams/{team}/deployments`; template deploys go to `deployTemplate` (the catalog's). */
export function registerCreateDeployment(app: App, deployTemplate: TemplateDeployer): void {
  app.openapi(route, async (c) => {
    const { team } = c.get('teamAccess');
    const body = c.req.valid('json');
    const { status, payload } = await withIdempotency(c, `deploy:${team.id}`, body, async () => {
      const ctx = deploymentContext(c);
      const dep = body.package !== undefined ? await createDeployment(ctx, team, { ...body, package: body.package }) : await deployTemplate(ctx, team, body);
      return { status: 202, payload: deploymentView(dep, c.get('services').config.publicUrl) };
    });
    return c.json(payload as ReturnType<typeof deploymentView>, status as 202);
  });
}
