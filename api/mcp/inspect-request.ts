import { isToolAllowed, type ToolPolicy } from './tool-policy.ts';

/** One JSON-RPC message of a request body, as far as the call log and the tool policy need it. */
export interface RpcMessageInfo {
  id: string | number | null;
  /** The JSON-RPC method; `response` for a client's answer to a server request. */
  method: string;
  /** The tool of a `tools/call` (else null). */
  tool: string | null;
}

/** What the proxy knows of one MCP request before it forwards it. */
export interface InspectedRequest {
  /** The body to forward (read once here; null for GET and DELETE). */
  body: Uint8Array | null;
  messages: RpcMessageInfo[];
  /** The call log's `method`: the JSON-RPC method, `batch`, `invalid`, or the HTTP method of a body-less request. */
  method: string;
  /** The call log's `tool`: the called tool of a single `tools/call`. */
  tool: string | null;
  /** The 2026-07-28 `Mcp-Name` header (decoded), which a stateless `tools/call` carries beside its body. */
  headerName: string | undefined;
}

/** Longest method or tool name kept (longer ones are cut; the database and metrics stay bounded). */
const NAME_MAX = 128;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const cut = (value: string): string => value.slice(0, NAME_MAX);

/** Decodes a 2026-07-28 `=?base64?...?=` header value (UTF-8); other values pass through; undefined when malformed. */
export function decodeMcpHeader(value: string | null): string | undefined {
  if (value === null) return undefined;
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value.slice(9, -2), 'base64'));
  } catch {
    return undefined;
  }
}

function messageInfo(message: unknown): RpcMessageInfo | undefined {
  if (!isObject(message)) return undefined;
  const id = typeof message.id === 'string' || typeof message.id === 'number' ? message.id : null;
  if (typeof message.method !== 'string') return 'result' in message || 'error' in message ? { id, method: 'response', tool: null } : undefined;
  const params = isObject(message.params) ? message.params : {};
  const tool = message.method === 'tools/call' && typeof params.name === 'string' ? params.name : null;
  return { id, method: message.method, tool };
}

/**
 * Reads what the proxy needs from a request: the JSON-RPC method(s) and called tool of a POST body (the
 * body itself is kept to be forwarded; the app's body limit bounds it), or the HTTP method of a GET or
 * DELETE. A body that is not JSON is still forwarded (the runner answers it) and logged as `invalid`.
 */
export function inspectRequest(httpMethod: string, headers: Headers, body: Uint8Array | null): InspectedRequest {
  const headerName = decodeMcpHeader(headers.get('mcp-name'));
  if (body === null) return { body, messages: [], method: httpMethod, tool: null, headerName };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { body, messages: [], method: 'invalid', tool: null, headerName };
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const messages = list.map(messageInfo).filter((m): m is RpcMessageInfo => m !== undefined);
  if (Array.isArray(parsed)) return { body, messages, method: 'batch', tool: null, headerName };
  const only = messages[0];
  return { body, messages, method: only ? cut(only.method) : 'invalid', tool: only?.tool ? cut(only.tool) : null, headerName };
}

/**
 * The first tool the policy refuses among the request's `tools/call`s (body name or the `Mcp-Name` header
 * of a stateless call, so a header naming a refused tool is refused too), with the id to answer; undefined
 * when the request may go through.
 */
export function refusedToolCall(request: InspectedRequest, policy: ToolPolicy | undefined): { id: string | number | null; tool: string } | undefined {
  if (!policy) return undefined;
  for (const message of request.messages) {
    if (message.method !== 'tools/call') continue;
    for (const name of [message.tool, request.headerName]) {
      if (name !== null && name !== undefined && !isToolAllowed(policy, name)) return { id: message.id, tool: name };
    }
  }
  return undefined;
}
