import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/**
 * Both official TypeScript SDK clients against one Hangar MCP URL: v1 (`@modelcontextprotocol/sdk`, sessions,
 * 2025-11-25) and v2 (`@modelcontextprotocol/client`, pinned to the stateless 2026-07-28), plus raw requests
 * shaped as a 2026-07-28 client sends them, for the spec's error cases.
 */
export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';
export const ENVELOPE = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} };

/** A v1 session client on `url` with an API key. */
export async function connectLegacy(url: string, key: string): Promise<{ client: LegacyClient; transport: LegacyTransport }> {
  const transport = new LegacyTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  const client = new LegacyClient({ name: 'hangar-v1-client', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** A v2 client on `url` with an API key, pinned to 2026-07-28 (its connect is a `server/discover`). */
export async function connectModern(url: string, key: string, name = 'hangar-v2-client'): Promise<ModernClient> {
  const client = new ModernClient({ name, version: '2.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new ModernTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

/** The headers a 2026-07-28 client puts on a POST of `method` (and `Mcp-Name` when given). */
export function modernHeaders(key: string, method: string, name?: string): Record<string, string> {
  return {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
    ...(name === undefined ? {} : { 'mcp-name': name }),
  };
}

/** POSTs one JSON-RPC body to `url` and returns the status, headers and parsed body (undefined when empty). */
export async function rawPost(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The text of the first content item of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content[0]?.text ?? '';
}

/** A data: URI of `text`, for server-everything's `gzip-file-as-resource` (no network). */
export function dataUri(text: string): string {
  return `data:text/plain;base64,${Buffer.from(text).toString('base64')}`;
}
