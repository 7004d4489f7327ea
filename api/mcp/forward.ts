import { request as httpRequest, type IncomingMessage } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/**
 * Request headers a client may send through to the runner (everything else, cookies and keys above all,
 * stays here): the Streamable HTTP ones of both MCP revisions (2026-07-28 adds `Mcp-Method`, `Mcp-Name` and
 * every `Mcp-Param-*`, which an intermediary must pass on) and W3C trace context.
 */
const FORWARD_REQUEST = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'mcp-method', 'mcp-name', 'traceparent', 'tracestate'];
const FORWARD_REQUEST_PREFIX = 'mcp-param-';
/** Response headers the runner may send back to the client. */
const FORWARD_RESPONSE = ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'cache-control', 'allow'];
/** The only bodies a Streamable HTTP server answers with; anything else never reaches the client. */
const ANSWER_TYPES = new Set(['application/json', 'text/event-stream']);

export interface Upstream {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

/** Raised when the runner cannot be reached (refused, reset, no answer in time). */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
}

/** Raised when the runner answers with a body that is not JSON or an SSE stream (never passed on). */
export class UpstreamContentError extends Error {
  override name = 'UpstreamContentError';
}

/** The media type of a Content-Type value, lowercased, without parameters. */
function mediaType(value: string | undefined): string {
  return (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Forwards one MCP request to a runner with node:http, streaming both ways: no body buffering and no idle
 * timeout on the response, so a server-to-client SSE stream stays open as long as the client holds it.
 * `signal` aborts the upstream request when the client goes away. Every stream error (a client that sends
 * half a body, a runner that resets) ends this one request and nothing else: the request body goes
 * through `stream.pipeline`, whose callback owns its errors.
 */
export function forwardToRunner(options: {
  url: URL;
  method: string;
  headers: Headers;
  /** A stream is piped; bytes already read (the proxy inspects MCP bodies) go in one write with their length. */
  body: ReadableStream<Uint8Array> | Uint8Array | null;
  runnerToken: string;
  /** Fly machine to route to through Flycast (`fly-force-instance-id`). */
  instanceId?: string;
  signal: AbortSignal;
  connectTimeoutMs: number;
}): Promise<Upstream> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.runnerToken}` };
  if (options.body instanceof Uint8Array) headers['content-length'] = String(options.body.byteLength);
  if (options.instanceId) headers['fly-force-instance-id'] = options.instanceId;
  for (const name of FORWARD_REQUEST) {
    const value = options.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  options.headers.forEach((value, name) => {
    if (name.startsWith(FORWARD_REQUEST_PREFIX)) headers[name] = value;
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest(options.url, { method: options.method, headers, signal: options.signal });
    const connectTimer = setTimeout(() => req.destroy(new UpstreamError('runner did not answer in time')), options.connectTimeoutMs);
    req.on('response', (res: IncomingMessage) => {
      clearTimeout(connectTimer);
      // A response that ends badly (the runner resets mid-stream) errors its web stream; nothing else.
      res.on('error', () => undefined);
      const type = mediaType(res.headers['content-type']);
      // A session DELETE is answered 200 with nothing (SDK v1 sends no Content-Type): no body to vet.
      const bodyless = options.method === 'HEAD' || (options.method === 'DELETE' && res.statusCode === 200) || res.statusCode === 204 || res.statusCode === 202 || res.headers['content-length'] === '0';
      if (!bodyless && !ANSWER_TYPES.has(type)) {
        res.destroy();
        reject(new UpstreamContentError(`runner answered ${type || 'no content type'}`));
        return;
      }
      const out = new Headers();
      for (const name of FORWARD_RESPONSE) {
        const value = res.headers[name];
        if (typeof value === 'string') out.set(name, value);
      }
      if (type === 'text/event-stream') out.set('x-accel-buffering', 'no');
      const body = bodyless ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      if (!body) res.resume();
      resolve({ status: res.statusCode ?? 502, headers: out, body });
    });
    req.on('error', (error) => {
      clearTimeout(connectTimer);
      reject(error instanceof UpstreamError ? error : new UpstreamError('runner unreachable'));
    });
    if (!options.body) {
      req.end();
      return;
    }
    if (options.body instanceof Uint8Array) {
      // Headers and body in one write: a separate small body packet would wait on Nagle and a delayed ACK.
      req.end(options.body);
      return;
    }
    // The client's body may end early or reset: the pipeline then destroys the upstream request, whose
    // 'error' (above) rejects this call if no answer came yet. The callback keeps the error handled.
    pipeline(Readable.fromWeb(options.body as NodeReadableStream<Uint8Array>), req, (error) => {
      if (error) req.destroy(new UpstreamError('client request body ended early'));
    });
  });
}
