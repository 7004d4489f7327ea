import type { IncomingMessage, ServerResponse } from 'node:http';

/** Reads a request body up to `limit` bytes; returns undefined (and reads no further) when it is larger. */
export async function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Writes a JSON body with a status (closing the connection when `close` is set, e.g. after an unread body). */
export function writeJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes a JSON-RPC error body without an id, the shape MCP clients expect on transport-level failures. */
export function writeRpcError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  writeJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

/** The JSON-RPC method names in a parsed body (for logs: names only, never params). */
export function rpcMethodsOf(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const methods: string[] = [];
  for (const message of messages) {
    const method = (message as { method?: unknown } | null)?.method;
    if (typeof method === 'string') methods.push(method.slice(0, 64));
    else if (message && typeof message === 'object' && 'id' in message) methods.push('(response)');
  }
  return methods;
}
