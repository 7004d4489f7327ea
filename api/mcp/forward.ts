import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/** Request headers a client may send through to the runner (everything else, cookies and keys above all, stays here). */
const FORWARD_REQUEST = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'];
/** Response headers the runner may send back to the client. */
const FORWARD_RESPONSE = ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'cache-control'];

export interface Upstream {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

/** Raised when the runner cannot be reached (refused, reset, no answer in time). */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/**
 * Forwards one MCP request to a runner with node:http, streaming both ways: no body buffering and no idle
 * timeout on the response, so a server-to-client SSE stream stays open as long as the client holds it.
 * `signal` aborts the upstream request when the client goes away.
 */
export function forwardToRunner(options: {
  url: URL;
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  runnerToken: string;
  /** Fly machine to route to through Flycast (`fly-force-instance-id`). */
  instanceId?: string;
  signal: AbortSignal;
  connectTimeoutMs: number;
}): Promise<Upstream> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.runnerToken}` };
  if (options.instanceId) headers['fly-force-instance-id'] = options.instanceId;
  for (const name of FORWARD_REQUEST) {
    const value = options.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(options.url, { method: options.method, headers, signal: options.signal });
    const connectTimer = setTimeout(() => req.destroy(new UpstreamError('runner did not answer in time')), options.connectTimeoutMs);
    req.on('response', (res: IncomingMessage) => {
      clearTimeout(connectTimer);
      const out = new Headers();
      for (const name of FORWARD_RESPONSE) {
        const value = res.headers[name];
        if (typeof value === 'string') out.set(name, value);
      }
      if ((res.headers['content-type'] ?? '').includes('text/event-stream')) out.set('x-accel-buffering', 'no');
      const body = options.method === 'HEAD' || res.statusCode === 204 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      if (!body) res.resume();
      resolve({ status: res.statusCode ?? 502, headers: out, body });
    });
    req.on('error', (error) => {
      clearTimeout(connectTimer);
      reject(error instanceof UpstreamError ? error : new UpstreamError('runner unreachable'));
    });
    if (options.body) Readable.fromWeb(options.body as import('node:stream/web').ReadableStream).pipe(req);
    else req.end();
  });
}
