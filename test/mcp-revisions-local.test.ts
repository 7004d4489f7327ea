import { gunzipSync } from 'node:zlib';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING } from '../runner/test-support.ts';
import { createLocalModeWorld, EVERYTHING_PACKAGE, EVERYTHING_VERSION, type LocalModeWorld } from './local-mode-world.ts';
import { connectLegacy, connectModern, dataUri, ENVELOPE, LEGACY, MODERN, modernHeaders, rawPost, textOf } from './mcp-revisions.ts';

/**
 * Issue 17's proof in local mode: one deployment of the real `@modelcontextprotocol/server-everything` (the
 * npm package, deployed through the API and run by the local driver as a runner process; the package comes
 * from node_modules rather than `npx`, which test/local-mode.test.ts already proves) used through Hangar's
 * proxy on ONE URL by the v1 SDK client (sessions, 2025-11-25) and the v2 SDK client (stateless 2026-07-28),
 * each seeing the other's effects, plus the spec's error cases as raw requests.
 */
let world: LocalModeWorld;
let url: string;
let key: string;

beforeAll(async () => {
  world = await createLocalModeWorld({
    serverCommand: (plan) => [process.execPath, EVERYTHING, ...plan.args],
    env: { HANGAR_MCP_STREAMS_PER_KEY: '64', HANGAR_RATE_LIMIT_PER_MINUTE: '100000' },
  });
  key = world.owner.apiKey;
  const res = await world.hangar.request(`/v1/teams/${world.owner.team.id}/deployments`, {
    method: 'POST',
    headers: { ...world.owner.keyHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'revisions', package: `npm:${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION}`, args: ['stdio'] }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  url = `${world.baseUrl}/v1/deployments/${id}/mcp`;
  const deadline = Date.now() + 25_000;
  for (let state = ''; state !== 'running'; await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > deadline) throw new Error(`deployment still ${state}`);
    state = ((await (await world.hangar.request(`/v1/deployments/${id}`, { headers: world.owner.keyHeaders })).json()) as { state: string }).state;
  }
}, 40_000);

afterAll(async () => {
  await world?.dispose();
});

describe('both MCP revisions on one deployment URL, local mode', () => {
  it('v2 (2026-07-28) discovers, lists and calls; v1 (sessions) sees its effect and the v2 client sees the v1 effect', async () => {
    const modern = await connectModern(url, key);
    expect([modern.getProtocolEra(), modern.getNegotiatedProtocolVersion()]).toEqual(['modern', MODERN]);
    expect(modern.getServerVersion()?.name).toBeTruthy();
    const tools = await modern.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum', 'gzip-file-as-resource']));
    expect(textOf(await modern.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }))).toContain('42');
    // A real effect on the server: a gzip file becomes a resource for everyone on this stdio server.
    await modern.callTool({ name: 'gzip-file-as-resource', arguments: { name: 'from-v2.gz', data: dataUri('written by v2'), outputType: 'resourceLink' } });

    const { client: legacy, transport } = await connectLegacy(url, key);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await legacy.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain('demo://resource/session/from-v2.gz');
    const v2File = await legacy.readResource({ uri: 'demo://resource/session/from-v2.gz' });
    expect(gunzipSync(Buffer.from((v2File.contents[0] as { blob: string }).blob, 'base64')).toString()).toBe('written by v2');
    await legacy.callTool({ name: 'gzip-file-as-resource', arguments: { name: 'from-v1.gz', data: dataUri('written by v1'), outputType: 'resourceLink' } });

    const v1File = await modern.readResource({ uri: 'demo://resource/session/from-v1.gz' });
    expect(gunzipSync(Buffer.from((v1File.contents[0] as { blob: string }).blob, 'base64')).toString()).toBe('written by v1');
    await legacy.close();
    await modern.close();
  }, 20_000);

  it('raw discover and list carry the 2026-07-28 result fields; a stray Mcp-Session-Id is ignored', async () => {
    const discover = await rawPost(url, { ...modernHeaders(key, 'server/discover'), 'mcp-session-id': 'no-such-session' }, { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: ENVELOPE } });
    expect(discover.status).toBe(200);
    expect(discover.headers.get('mcp-session-id')).toBeNull();
    expect(discover.body).toMatchObject({ id: 1, result: { supportedVersions: [MODERN, LEGACY, '2025-06-18', '2025-03-26', '2024-11-05'], resultType: 'complete', ttlMs: 0, cacheScope: 'private' } });
    const list = await rawPost(url, modernHeaders(key, 'tools/list'), { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: ENVELOPE } });
    expect(list.body).toMatchObject({ id: 2, result: { resultType: 'complete', ttlMs: 0, cacheScope: 'private' } });
    const notification = await fetch(url, { method: 'POST', headers: modernHeaders(key, 'notifications/cancelled'), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99, _meta: ENVELOPE } }) });
    expect(notification.status).toBe(202);
  });

  it('the spec’s errors through the proxy: -32020, -32022 with data, -32602, -32601, 403 foreign Origin, 405 GET', async () => {
    const call = (headers: Record<string, string>, meta: Record<string, unknown> | undefined = ENVELOPE) =>
      rawPost(url, headers, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' }, ...(meta ? { _meta: meta } : {}) } });

    const mismatch = await call(modernHeaders(key, 'tools/call', 'get-sum'));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatchObject({ id: 7, error: { code: -32020, message: 'Header mismatch: Mcp-Name header disagrees with params.name' } });

    const future = await call({ ...modernHeaders(key, 'tools/call', 'echo'), 'mcp-protocol-version': '2099-01-01' }, { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' });
    expect(future.status).toBe(400);
    expect((future.body as { error: unknown }).error).toEqual({
      code: -32022,
      message: 'Unsupported protocol version: 2099-01-01',
      data: { supported: [MODERN, LEGACY, '2025-06-18', '2025-03-26', '2024-11-05'], requested: '2099-01-01' },
    });

    const noCaps = await call(modernHeaders(key, 'tools/call', 'echo'), { 'io.modelcontextprotocol/protocolVersion': MODERN });
    expect(noCaps.status).toBe(400);
    expect(noCaps.body).toMatchObject({ error: { code: -32602, message: 'Invalid params: _meta is missing io.modelcontextprotocol/clientCapabilities' } });

    const unknown = await rawPost(url, modernHeaders(key, 'tasks/list'), { jsonrpc: '2.0', id: 8, method: 'tasks/list', params: { _meta: ENVELOPE } });
    expect([unknown.status, (unknown.body as { error: { code: number } }).error.code]).toEqual([404, -32601]);

    const foreign = await call({ ...modernHeaders(key, 'tools/call', 'echo'), origin: 'https://evil.example' });
    // POST meets the app-wide CSRF origin rule first; GET (no CSRF rule) meets the proxy's own Origin check.
    expect([foreign.status, (foreign.body as { error: { code: string } }).error.code]).toEqual([403, 'csrf_rejected']);
    const foreignStream = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', origin: 'https://evil.example' } });
    expect([foreignStream.status, ((await foreignStream.json()) as { error: { code: string } }).error.code]).toEqual([403, 'origin_rejected']);

    const get = await fetch(url, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', 'mcp-protocol-version': MODERN } });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect(await get.json()).toMatchObject({ error: { code: -32000 } });
  });

  it('progress of a stateless call streams through the proxy to the v2 client', async () => {
    const modern = await connectModern(url, key);
    const progress: number[] = [];
    const result = await modern.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.4, steps: 2 } }, { onprogress: (p) => void progress.push(p.progress) });
    expect(textOf(result)).toContain('Long running operation completed');
    expect(progress).toEqual([1, 2]);
    await modern.close();
  });

  it('50 concurrent stateless calls from 50 independent v2 clients each get their own answer', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => connectModern(url, key, `client-${i}`)));
    const results = await Promise.all(clients.map((c, i) => c.callTool({ name: 'echo', arguments: { message: `m${i}` } })));
    expect(results.map(textOf)).toEqual(clients.map((_, i) => `Echo: m${i}`));
    await Promise.all(clients.map((c) => c.close()));
  }, 20_000);

  it('the v1 client keeps its full session: id, notifications on the GET stream, DELETE ends it', async () => {
    const { client, transport } = await connectLegacy(url, key);
    const received: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(String(n.params.data)));
    await new Promise((r) => setTimeout(r, 300));
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBeGreaterThan(0);
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    const id = transport.sessionId ?? '';
    await transport.terminateSession();
    const after = await rawPost(url, { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': id, 'mcp-protocol-version': LEGACY }, { jsonrpc: '2.0', id: 9, method: 'tools/list' });
    expect([after.status, (after.body as { error: { code: number } }).error.code]).toEqual([404, -32001]);
    await client.close();
  }, 20_000);
});
