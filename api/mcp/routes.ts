import type { Context } from 'hono';
import { ErrorSchema } from '../auth/schemas.ts';
import { deploymentGuard } from '../deployments/access.ts';
import { DeploymentParams } from '../deployments/routes/params.ts';
import { isServing } from '../deployments/states.ts';
import type { App, AppEnv } from '../http/context.ts';
import { AppError } from '../http/errors.ts';
import { forwardToRunner, UpstreamError } from './forward.ts';

const PATH = '/v1/deployments/{id}/mcp';
const CONNECT_TIMEOUT_MS = 30_000;

/** Raised when the deployment exists but cannot take MCP traffic now; the message says its state. */
export class DeploymentNotRunningError extends AppError {
  constructor(state: string, reason: string | null) {
    super(503, 'deployment_not_running', `The deployment is ${state}${reason ? ` (${reason})` : ''}; MCP requests are served while it runs`);
  }
}

async function proxy(c: Context<AppEnv>): Promise<Response> {
  const services = c.get('services');
  const dep = c.get('deployment');
  if (!isServing(dep.state) || !dep.privateAddress) throw new DeploymentNotRunningError(dep.state, dep.stateReason);
  const runnerToken = services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
  const method = c.req.method;
  try {
    const upstream = await forwardToRunner({
      url: new URL('/mcp', dep.privateAddress),
      method,
      headers: c.req.raw.headers,
      body: method === 'POST' ? c.req.raw.body : null,
      runnerToken,
      // On Fly the endpoint is the tenant app's Flycast name; this header pins the deployment's own machine.
      instanceId: services.driver.kind === 'fly' ? (dep.machineId ?? undefined) : undefined,
      signal: c.req.raw.signal,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
    // A 401 from the runner means our token is wrong, not the client's: never pass it on as theirs.
    const failed = upstream.status >= 500 || upstream.status === 401;
    services.usage.record(dep.id, failed);
    if (upstream.status === 401) {
      upstream.body?.cancel().catch(() => undefined);
      throw new AppError(502, 'runner_rejected', 'The deployment refused Hangar’s credentials; it is being restarted with fresh ones');
    }
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  } catch (error) {
    if (error instanceof UpstreamError) {
      services.usage.record(dep.id, true);
      throw new AppError(502, 'deployment_unreachable', 'The deployment did not answer; try again shortly');
    }
    throw error;
  }
}

/**
 * `POST`, `GET` (server-to-client SSE stream) and `DELETE` (end session) of `/v1/deployments/{id}/mcp`: the
 * Streamable HTTP endpoint of a deployment, for API keys with the `mcp` (or `write`) scope and sessions of
 * team members. Streams both ways; tokens travel in headers only.
 */
export function registerMcpProxy(app: App): void {
  const honoPath = PATH.replace('{id}', ':id');
  app.on(['POST', 'GET', 'DELETE'], honoPath, deploymentGuard({ access: 'resource', role: 'member', scope: 'mcp' }), proxy);
  for (const method of ['post', 'get', 'delete'] as const) {
    app.openAPIRegistry.registerPath({
      method,
      path: PATH,
      tags: ['mcp'],
      summary:
        method === 'post'
          ? 'Send an MCP JSON-RPC message (Streamable HTTP); answers JSON or an SSE stream'
          : method === 'get'
            ? 'Open the server-to-client SSE stream of an MCP session'
            : 'End an MCP session',
      security: [{ apiKey: [] }, { session: [] }],
      request: { params: DeploymentParams },
      responses: {
        200: { description: 'The MCP server’s answer, streamed' },
        401: { description: 'No or invalid credentials', content: { 'application/json': { schema: ErrorSchema } } },
        404: { description: 'No such deployment, or not yours', content: { 'application/json': { schema: ErrorSchema } } },
        503: { description: 'The deployment is not running', content: { 'application/json': { schema: ErrorSchema } } },
      },
    });
  }
}
