import type { IncomingHttpHeaders } from 'node:http';

/** The stateless revision the runner serves on top of a session-protocol stdio server. */
export const MODERN_VERSION = '2026-07-28';
/** Session-era revisions: requests carrying these go to the SDK v1 session transport, unchanged. */
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export const SUPPORTED_VERSIONS = [MODERN_VERSION, ...LEGACY_VERSIONS];

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';

export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** Methods of the 2026-07-28 registry the translator serves (a session-era server answers all but discover). */
export const MODERN_METHODS = new Set([
  'server/discover',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
]);
/** Methods whose `Mcp-Name` header mirrors a body field. */
const NAME_SOURCE: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

export interface ModernRequest {
  id: string | number;
  method: string;
  params: Record<string, unknown>;
  meta: Record<string, unknown>;
  clientCapabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string } | undefined;
}

export type Classified =
  | { kind: 'legacy' }
  | { kind: 'modern'; request: ModernRequest }
  | { kind: 'notification' }
  | { kind: 'reject'; status: number; code: number; message: string; data?: Record<string, unknown> };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const headerOf = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes an `=?base64?...?=` header value (UTF-8); other values pass through; undefined when malformed. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const payload = value.slice(9, -2);
  if (!BASE64.test(payload)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64'));
  } catch {
    return undefined;
  }
}

/** True when a body-less request (GET/DELETE) announces the stateless revision (or any non-session one). */
export function isModernHeader(headers: IncomingHttpHeaders): boolean {
  const version = headerOf(headers, 'mcp-protocol-version');
  return version !== undefined && !(LEGACY_VERSIONS as readonly string[]).includes(version);
}

const reject = (status: number, code: number, message: string, data?: Record<string, unknown>): Classified => ({ kind: 'reject', status, code, message, ...(data ? { data } : {}) });
const mismatch = (message: string): Classified => reject(400, HEADER_MISMATCH, `Header mismatch: ${message}`);

/**
 * Classifies a parsed POST body as the SDK v2 server does: the body's `_meta` protocol version is primary,
 * the `MCP-Protocol-Version` header a cross-check. Session-era traffic (no envelope, a session-era header or
 * none) is `legacy` and goes to the v1 transport untouched. Header names are case-insensitive (Node lowercases).
 */
export function classify(headers: IncomingHttpHeaders, body: unknown): Classified {
  const headerVersion = headerOf(headers, 'mcp-protocol-version');
  const headerIsLegacy = headerVersion === undefined || (LEGACY_VERSIONS as readonly string[]).includes(headerVersion);
  const messages = Array.isArray(body) ? body : [body];
  const claims = messages.map((m) => (isObject(m) && isObject(m.params) && isObject(m.params._meta) ? m.params._meta : undefined));
  const bodyVersions = claims.map((meta) => meta?.[META_PROTOCOL_VERSION]);
  const enveloped = claims.some((meta) => meta !== undefined && (META_PROTOCOL_VERSION in meta || META_CLIENT_CAPABILITIES in meta));
  if (!enveloped && headerIsLegacy) return { kind: 'legacy' };
  if (Array.isArray(body)) return reject(400, -32600, 'Invalid Request: batches are not part of 2026-07-28');
  const message = body;
  if (!isObject(message) || message.jsonrpc !== '2.0' || typeof message.method !== 'string') return reject(400, -32600, 'Invalid Request');
  const bodyVersion = bodyVersions[0];
  if (typeof bodyVersion === 'string' && !SUPPORTED_VERSIONS.includes(bodyVersion)) {
    return reject(400, UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version: ${bodyVersion}`, { supported: [MODERN_VERSION], requested: bodyVersion });
  }
  if (headerVersion !== undefined && !SUPPORTED_VERSIONS.includes(headerVersion)) {
    return reject(400, UNSUPPORTED_PROTOCOL_VERSION, `Unsupported protocol version: ${headerVersion}`, { supported: [MODERN_VERSION], requested: headerVersion });
  }
  if (typeof bodyVersion === 'string' && headerVersion !== undefined && headerVersion !== bodyVersion) {
    return mismatch(`MCP-Protocol-Version header ${headerVersion} disagrees with _meta ${bodyVersion}`);
  }
  const meta = claims[0] ?? {};
  const missing = [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES].filter((key) => key === META_CLIENT_CAPABILITIES ? !isObject(meta[key]) : typeof meta[key] !== 'string');
  if (missing.length > 0) return reject(400, -32602, `Invalid params: _meta is missing ${missing.join(', ')}`);
  if (!('id' in message)) return { kind: 'notification' };
  const id = message.id;
  if (typeof id !== 'string' && typeof id !== 'number') return reject(400, -32600, 'Invalid Request: id must be a string or a number');
  if (headerVersion === undefined) return mismatch('MCP-Protocol-Version header is missing');
  const methodHeader = headerOf(headers, 'mcp-method');
  if (methodHeader === undefined) return mismatch('Mcp-Method header is missing');
  if (decodeHeaderValue(methodHeader) !== message.method) return mismatch('Mcp-Method header disagrees with the body method');
  const params = isObject(message.params) ? message.params : {};
  const source = NAME_SOURCE[message.method];
  if (source) {
    const nameHeader = headerOf(headers, 'mcp-name');
    if (nameHeader === undefined) return mismatch('Mcp-Name header is missing');
    const decoded = decodeHeaderValue(nameHeader);
    if (decoded === undefined) return mismatch('Mcp-Name header carries an invalid Base64 value');
    if (decoded !== params[source]) return mismatch(`Mcp-Name header disagrees with params.${source}`);
  }
  if (!MODERN_METHODS.has(message.method)) return reject(404, -32601, `Method not found: ${message.method.slice(0, 64)}`);
  const info = meta[META_CLIENT_INFO];
  const clientInfo = isObject(info) && typeof info.name === 'string' && typeof info.version === 'string' ? { name: info.name, version: info.version } : undefined;
  return {
    kind: 'modern',
    request: { id, method: message.method, params, meta, clientCapabilities: meta[META_CLIENT_CAPABILITIES] as Record<string, unknown>, clientInfo },
  };
}
