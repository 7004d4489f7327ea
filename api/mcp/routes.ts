import type { Context } from 'hono';
import { describePermission, requireAuth, type Permission } from '../auth/permissions.ts';
import { ErrorSchema } from '../auth/schemas.ts';
import { deploymentGuard } from '../deployments/access.ts';
import { DeploymentParams } from '../deployments/routes/params.ts';
import { isServing } from '../deployments/states.ts';
import type { App, AppEnv } from '../http/context.ts';
import { AppError, ForbiddenError } from '../http/errors.ts';
import { DEPLOYMENT_ID_SHAPE } from '../oauth/metadata-routes.ts';
import { bearerChallenge } from '../oauth/urls.ts';
import { forwardToRunner, UpstreamContentError, UpstreamError } from './forward.ts';
import { onBodySettled } from './stream-slots.ts';
import { answerRefusedCall, callTracker, readForwardBody } from './proxy-hooks.ts';

const PATH = '/v1/deployments/{id}/mcp';
const MCP_PERMISSION = { access: 'resource', role: 'member', scope: 'mcp' } as const satisfies Permission;
const CONNECT_TIMEOUT_MS = 30_000;

/** Raised when the deployment exists but cannot take MCP traffic now; the message says its state. */
export class DeploymentNotRunningError extends AppError {
  constructor(state: string, reason: string | null) {
    super(503, 'deployment_not_running', `The deployment is ${state}${reason ? ` (${reason})` : ''}; MCP requests are served while it runs`);
  }
}

/** 429 for a credential or deployment at its cap of MCP requests in flight. */
export class TooManyStreamsError extends AppError {
  constructor() {
    super(429, 'too_many_streams', 'Too many MCP requests or streams are open for this credential or deployment; close one or retry shortly', { retryAfterSeconds: 1 });
  }
}

/**
 * Both MCP revisions require Origin validation on every request (a GET stream included), not only on the
 * state-changing methods the CSRF rule covers: a foreign browser origin is refused with 403.
 */
async function rejectForeignOrigin(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
  const origin = c.req.header('origin');
  if (origin !== undefined && !c.get('services').config.auth.trustedOrigins.includes(origin)) {
    throw new ForbiddenError('Request origin is not allowed', 'origin_rejected');
  }
  await next();
}

/**
 * A 401 names where to find the authorization server (MCP authorization spec, RFC 9728 §5.1): clients
 * discover the OAuth flow from this header.
 */
async function challengeOn401(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
  await next();
  const id = c.req.param('id') ?? '';
  if (c.res.status === 401 && DEPLOYMENT_ID_SHAPE.test(id)) {
    const presented = c.req.header('authorization') !== undefined;
    c.res.headers.set('WWW-Authenticate', bearerChallenge(c.get('services').config, id, presented ? 'invalid_token' : undefined));
  }
}

async function proxy(c: Context<AppEnv>): Promise<Response> {
  const services = c.get('services');
  const dep = c.get('deployment');
  if (!isServing(dep.state) || !dep.privateAddress) throw new DeploymentNotRunningError(dep.state, dep.stateReason);
  const principal = requireAuth(c);
  const release = services.mcpStreams.acquire(principal.keyId ?? principal.grantId ?? principal.sessionId ?? principal.userId, dep.id);
  if (!release) throw new TooManyStreamsError();
  // The slots are held until the answer's body ends or the client leaves, whichever comes first.
  c.req.raw.signal.addEventListener('abort', release, { once: true });
  const method = c.req.method;
  // Call log and tool policy: the request's method and tool, a refused tool call answered here.
  const track = callTracker(services, dep, principal.keyId ?? null, await readForwardBody(c, release));
  const refused = answerRefusedCall(track);
  if (refused) {
    release();
    return refused;
  }
  const runnerToken = services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
  try {
    const upstream = await forwardToRunner({
      url: new URL('/mcp', dep.privateAddress),
      method,
      headers: c.req.raw.headers,
      body: track.forwardBody(),
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
      track.settle({ outcome: 'error', errorCode: null });
      upstream.body?.cancel().catch(() => undefined);
      throw new AppError(502, 'runner_rejected', 'The deployment refused Hangar’s credentials; restart it to boot it with its current runner token');
    }
    if (!upstream.body) {
      release();
      track.settle({ outcome: upstream.status >= 400 ? 'error' : 'ok', errorCode: null });
    }
    const body = upstream.body ? onBodySettled(track.watch(upstream.body, upstream.status, upstream.headers), release) : null;
    return new Response(body, { status: upstream.status, headers: upstream.headers });
  } catch (error) {
    release();
    track.settle({ outcome: 'error', errorCode: null });
    if (error instanceof UpstreamError || error instanceof UpstreamContentError) {
      services.usage.record(dep.id, true);
      if (error instanceof UpstreamContentError) {
        throw new AppError(502, 'deployment_bad_response', 'The deployment answered with something other than JSON or an event stream');
      }
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
  app.on(['POST', 'GET', 'DELETE'], honoPath, challengeOn401, rejectForeignOrigin, deploymentGuard(MCP_PERMISSION), proxy);
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
      description: describePermission(MCP_PERMISSION),
      'x-permission': MCP_PERMISSION,
      request: { params: DeploymentParams },
      responses: {
        200: { description: 'The MCP server’s answer, streamed' },
        401: { description: 'No or invalid credentials; `WWW-Authenticate: Bearer resource_metadata="…", scope="mcp"` names the OAuth metadata', content: { 'application/json': { schema: ErrorSchema } } },
        403: { description: 'The credential lacks the `mcp` scope, or the caller’s role in the team is too low', content: { 'application/json': { schema: ErrorSchema } } },
        404: { description: 'No such deployment, or not yours', content: { 'application/json': { schema: ErrorSchema } } },
        429: { description: 'Rate limited, or too many MCP requests in flight for this credential or deployment (Retry-After)', content: { 'application/json': { schema: ErrorSchema } } },
        502: { description: 'The deployment did not answer, or answered with something other than JSON or an event stream', content: { 'application/json': { schema: ErrorSchema } } },
        503: { description: 'The deployment is not running', content: { 'application/json': { schema: ErrorSchema } } },
      },
    });
  }
}
