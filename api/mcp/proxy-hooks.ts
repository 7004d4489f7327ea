import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Deployment } from '../db/generated/client.ts';
import type { AppEnv } from '../http/context.ts';
import { ValidationError } from '../http/errors.ts';
import type { Services } from '../services.ts';
import { inspectRequest, refusedToolCall, type InspectedRequest } from './inspect-request.ts';
import { observeResponse, type CallOutcome } from './observe-response.ts';
import { deniedToolAnswer, TOOL_DENIED_CODE, toolPolicyOf, type ToolPolicy } from './tool-policy.ts';

/**
 * Reads the request for the call log and the tool policy: a POST body is read once (the app's body limit
 * bounds it; the bodies of both MCP revisions are single JSON-RPC messages) and forwarded from memory.
 * `release` frees the proxy's stream slots when the body cannot be read.
 */
export async function readForwardBody(c: Context<AppEnv>, release: () => void): Promise<InspectedRequest> {
  const method = c.req.method;
  try {
    const body = method === 'POST' ? new Uint8Array(await c.req.raw.arrayBuffer()) : null;
    return inspectRequest(method, c.req.raw.headers, body);
  } catch (error) {
    release();
    if (error instanceof HTTPException) throw error;
    throw new ValidationError('The request body could not be read', [{ path: 'body', message: 'ended early' }]);
  }
}

/** One proxied request's share of the call log and the policy, created before it is forwarded. */
export interface CallTracker {
  request: InspectedRequest;
  policy: ToolPolicy | undefined;
  /** The body to forward (from memory). */
  forwardBody(): Uint8Array | null;
  /** Records the call once (later calls do nothing). */
  settle(outcome: CallOutcome): void;
  /** The answer's body, watched for its outcome (and filtered when it may carry a `tools/list` answer). */
  watch(body: ReadableStream<Uint8Array>, status: number, headers: Headers): ReadableStream<Uint8Array>;
}

/** Starts tracking one request of `dep` by the key `keyId` (null for a session). */
export function callTracker(services: Services, dep: Deployment, keyId: string | null, request: InspectedRequest): CallTracker {
  const startedAt = services.clock.now();
  const started = performance.now();
  const order = services.callLog.ticket();
  const policy = toolPolicyOf(dep);
  let settled = false;
  const settle = (outcome: CallOutcome) => {
    if (settled) return;
    settled = true;
    services.callLog.record({ deploymentId: dep.id, method: request.method, tool: request.tool, durationMs: performance.now() - started, keyId, at: startedAt, order, ...outcome });
  };
  // A tools/list answer is filtered; so is a GET stream, which may replay one (resumption with Last-Event-ID).
  const mayList = request.messages.some((m) => m.method === 'tools/list') || request.method === 'GET';
  return {
    request,
    policy,
    forwardBody: () => request.body,
    settle,
    watch: (body, status, headers) =>
      observeResponse(body, {
        eventStream: (headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream'),
        status,
        filter: policy && mayList ? policy : undefined,
        settled: settle,
      }),
  };
}

/**
 * The answer to a request whose `tools/call` the deployment's policy refuses: a JSON-RPC error, logged as
 * an error call, never forwarded. Undefined when the request may go through.
 */
export function answerRefusedCall(track: CallTracker): Response | undefined {
  const refused = refusedToolCall(track.request, track.policy);
  if (!refused) return undefined;
  track.settle({ outcome: 'error', errorCode: TOOL_DENIED_CODE });
  return new Response(JSON.stringify(deniedToolAnswer(refused.id, refused.tool)), { status: 200, headers: { 'content-type': 'application/json' } });
}
