import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, EVERYTHING, firstText, spawnRunner, type SpawnedRunner } from '../test-support.ts';

const TOKEN = 'runner-stateless-token-0123456789ab';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const V = '2026-07-28';
const META = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} };

async function connectModern(base: string): Promise<ModernClient> {
  const client = new ModernClient({ name: 'stateless-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: V } } });
  await client.connect(new ModernTransport(new URL('/mcp', base), { requestInit: { headers: AUTH } }));
  return client;
}

describe('runner speaks 2026-07-28 and 2025-11-25 on one endpoint (real server-everything)', () => {
  let runner: SpawnedRunner;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${runner.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...AUTH, ...headers },
      body: JSON.stringify(body),
    });
  const call = (headers: Record<string, string>, params: Record<string, unknown> = { name: 'echo', arguments: { message: 'x' }, _meta: META }) =>
    post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }, headers);
  const good = { 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

  beforeAll(async () => {
    runner = await spawnRunner(['--', process.execPath, EVERYTHING, 'stdio'], { PATH: process.env.PATH ?? '/usr/bin:/bin', HANGAR_RUNNER_TOKEN: TOKEN });
  });
  afterAll(async () => {
    runner.process.kill('SIGTERM');
    await runner.exited;
  });

  it('v2 client (pinned 2026-07-28): discover, list with cache fields, call with a real effect', async () => {
    const client = await connectModern(runner.url);
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe(V);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
    expect(JSON.stringify(sum.content)).toContain('42');
    await client.close();
  });

  it('raw discover and list carry resultType, ttlMs and cacheScope; a stray session id is ignored', async () => {
    const discover = await post({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } }, { 'mcp-protocol-version': V, 'mcp-method': 'server/discover', 'mcp-session-id': 'not-a-session' });
    expect(discover.status).toBe(200);
    const d = (await discover.json()) as { result: Record<string, unknown> };
    expect(d.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private', supportedVersions: expect.arrayContaining([V, '2025-11-25']) });
    expect((d.result._meta as Record<string, { name: string }>)['io.modelcontextprotocol/serverInfo']?.name).toBeTruthy();
    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: META } }, { 'mcp-protocol-version': V, 'mcp-method': 'tools/list' });
    expect((await list.json()) as unknown).toMatchObject({ id: 2, result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private' } });
  });

  it('Base64 Mcp-Name is decoded; header names are case-insensitive', async () => {
    const res = await call({ 'MCP-Protocol-Version': V, 'MCP-METHOD': 'tools/call', 'Mcp-Name': `=?base64?${Buffer.from('echo').toString('base64')}?=` });
    expect(res.status).toBe(200);
    expect(firstText(((await res.json()) as { result: unknown }).result)).toBe('Echo: x');
  });

  it.each([
    ['Mcp-Method disagrees', { ...good, 'mcp-method': 'tools/list' }],
    ['Mcp-Name disagrees', { ...good, 'mcp-name': 'get-sum' }],
    ['Mcp-Name missing', { 'mcp-protocol-version': V, 'mcp-method': 'tools/call' }],
    ['Mcp-Method missing', { 'mcp-protocol-version': V, 'mcp-name': 'echo' }],
    ['MCP-Protocol-Version missing', { 'mcp-method': 'tools/call', 'mcp-name': 'echo' }],
    ['header version disagrees with _meta', { ...good, 'mcp-protocol-version': '2025-11-25' }],
    ['bad Base64', { ...good, 'mcp-name': '=?base64?###?=' }],
  ])('%s: 400 -32020 HeaderMismatch', async (_label, headers) => {
    const res = await call(headers);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32020);
  });

  it('unsupported version: 400 -32022 with data.supported and data.requested', async () => {
    const res = await call({ ...good, 'mcp-protocol-version': '2099-01-01' }, { name: 'echo', arguments: { message: 'x' }, _meta: { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toEqual({ code: -32022, message: 'Unsupported protocol version: 2099-01-01', data: { supported: [V], requested: '2099-01-01' } });
  });

  it('missing _meta fields: 400 -32602; unknown method: 404 -32601; GET and DELETE: 405', async () => {
    const noCaps = await call(good, { name: 'echo', arguments: { message: 'x' }, _meta: { 'io.modelcontextprotocol/protocolVersion': V } });
    expect(noCaps.status).toBe(400);
    expect(((await noCaps.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32602, message: expect.stringContaining('clientCapabilities') });
    const noMeta = await call(good, { name: 'echo', arguments: { message: 'x' } });
    expect(noMeta.status).toBe(400);
    expect(((await noMeta.json()) as { error: { code: number } }).error.code).toBe(-32602);
    const unknown = await post({ jsonrpc: '2.0', id: 3, method: 'initialize', params: { _meta: META } }, { 'mcp-protocol-version': V, 'mcp-method': 'initialize' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(-32601);
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${runner.url}/mcp`, { method, headers: { ...AUTH, accept: 'text/event-stream', 'mcp-protocol-version': V, 'mcp-session-id': 'x' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('v1 session client on the same URL keeps its session, GET stream and DELETE', async () => {
    const { client, transport } = await connectClient(runner.url, TOKEN, 'legacy');
    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'old' } }))).toBe('Echo: old');
    const id = transport.sessionId ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await transport.terminateSession();
    const after = await post({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });
    expect(after.status).toBe(404);
    await client.close();
  });

  it('50 concurrent stateless calls from independent v2 clients each get their own answer', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => connectModern(runner.url)));
    const results = await Promise.all(clients.map((c, i) => c.callTool({ name: 'echo', arguments: { message: `m${i}` } })));
    expect(results.map((r) => firstText(r))).toEqual(clients.map((_, i) => `Echo: m${i}`));
    await Promise.all(clients.map((c) => c.close()));
  });
});
