import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../../auth/permissions.ts';
import { errorResponses, jsonContent } from '../../auth/schemas.ts';
import type { App } from '../../http/context.ts';
import { AppError } from '../../http/errors.ts';
import { authorizedDeployment } from '../access.ts';
import { followStream } from '../logs/follow-stream.ts';
import { LogLineSchema } from '../logs/log-lines.ts';
import { readLogs } from '../logs/read-logs.ts';
import { DeploymentParams } from './params.ts';

const LogsQuery = z.object({
  tail: z.coerce.number().int().min(1).max(1000).default(100).openapi({ param: { name: 'tail', in: 'query' }, description: 'Lines from the end (max 1000)', example: 100 }),
  follow: z.enum(['true', 'false']).optional().openapi({ param: { name: 'follow', in: 'query' }, description: 'Stream new lines as SSE (same as `Accept: text/event-stream`)' }),
});

const route = authorizedDeployment(
  createRoute({
    method: 'get',
    path: '/v1/deployments/{id}/logs',
    tags: ['deployments'],
    summary: "The MCP server's stderr and Hangar's system lines, oldest first; SSE with follow",
    description:
      'Secrets are masked and lines capped at 2000 characters. With `Accept: text/event-stream` or `?follow=true` the answer is an SSE stream: the last `tail` lines, then each new line as `event: log` until the client leaves. Stderr comes from the running machine (its last 1000 lines); an exit keeps its last 20 lines in its event.',
    request: { params: DeploymentParams, query: LogsQuery },
    responses: {
      200: {
        description: 'Lines (JSON), or an SSE stream of `log` events whose data is one line object',
        content: { 'application/json': { schema: z.object({ data: z.array(LogLineSchema) }) }, 'text/event-stream': { schema: z.string() } },
      },
      ...errorResponses(400, 401, 403, 404, 429),
    },
  }),
  { access: 'resource', role: 'viewer', scope: 'read' },
);

/** 429 when the caller or deployment already holds as many open streams as allowed. */
class TooManyFollowersError extends AppError {
  constructor() {
    super(429, 'too_many_streams', 'Too many open streams for this credential or deployment; close one or retry shortly', { retryAfterSeconds: 1 });
  }
}

/** `GET /v1/deployments/{id}/logs?tail=&follow=`. */
export function registerDeploymentLogs(app: App): void {
  app.openapi(route, async (c) => {
    const services = c.get('services');
    const dep = c.get('deployment');
    const { tail, follow } = c.req.valid('query');
    const streaming = follow === 'true' || (c.req.header('accept') ?? '').includes('text/event-stream');
    if (!streaming) {
      const { lines } = await readLogs(services, dep, tail, c.req.raw.signal);
      return c.json({ data: lines }, 200);
    }
    const principal = requireAuth(c);
    // Followers share the MCP proxy's caps on open streams (per credential and per deployment).
    const release = services.mcpStreams.acquire(principal.keyId ?? principal.sessionId ?? principal.userId, dep.id);
    if (!release) throw new TooManyFollowersError();
    let body: ReadableStream<Uint8Array>;
    try {
      const { lines, cursor } = await readLogs(services, dep, tail, c.req.raw.signal);
      body = followStream({ services, deploymentId: dep.id, initial: lines, cursor, signal: c.req.raw.signal, done: release });
    } catch (error) {
      release();
      throw error;
    }
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
    }) as never;
  });
}
