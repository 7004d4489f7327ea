import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, EVERYTHING, firstText, spawnRunner, waitFor, type SpawnedRunner } from './test-support.ts';

const TOKEN = 'runner-test-token-0123456789abcdef';
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('runner with the real server-everything', () => {
  let runner: SpawnedRunner;

  beforeAll(async () => {
    runner = await spawnRunner(['--max-body-bytes', '65536', '--', process.execPath, EVERYTHING, 'stdio'], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HANGAR_RUNNER_TOKEN: TOKEN,
    });
  });
  afterAll(async () => {
    runner.process.kill('SIGTERM');
    await runner.exited;
  });

  it('lists tools, calls echo and keeps the session id', async () => {
    const { client, transport } = await connectClient(runner.url, TOKEN);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum', 'toggle-simulated-logging']));
    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'hello' } }))).toBe('Echo: hello');
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await client.close();
  });

  it('delivers server notifications on the GET stream', async () => {
    const { client } = await connectClient(runner.url, TOKEN);
    const received: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(String(n.params.data)));
    // Give the client's GET stream a moment to open before the server's first (immediate) log message.
    await new Promise((r) => setTimeout(r, 300));
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await waitFor(() => received.length > 0, 8000);
    expect(received[0]).toMatch(/-level message|level-message/);
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await client.close();
  });

  it('serves two sessions at once without mixing their replies (same JSON-RPC ids)', async () => {
    const a = await connectClient(runner.url, TOKEN, 'a');
    const b = await connectClient(runner.url, TOKEN, 'b');
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    const calls = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).client.callTool({ name: 'echo', arguments: { message: `m${i}` } }));
    expect((await Promise.all(calls)).map(firstText)).toEqual(Array.from({ length: 10 }, (_, i) => `Echo: m${i}`));
    expect(firstText(await b.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toContain('5');
    await a.client.close();
    await b.client.close();
  });

  it('ends a session on DELETE: the old session id then gets 404', async () => {
    const { client, transport } = await connectClient(runner.url, TOKEN);
    const sessionId = transport.sessionId ?? '';
    await transport.terminateSession();
    const res = await fetch(`${runner.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${TOKEN}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    await client.close();
  });

  it('answers 401 without a token and with a wrong one, and leaves health open', async () => {
    const none = await fetch(`${runner.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify(INIT) });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="hangar-runner"');
    const wrong = await fetch(`${runner.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, authorization: `Bearer ${TOKEN}x` },
      body: JSON.stringify(INIT),
    });
    expect(wrong.status).toBe(401);
    const get = await fetch(`${runner.url}/mcp`, { headers: { authorization: 'Basic abc' } });
    expect(get.status).toBe(401);
    const health = await fetch(`${runner.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('rejects oversized bodies, unknown sessions and requests without a session', async () => {
    const auth = { ...MCP_HEADERS, authorization: `Bearer ${TOKEN}` };
    const big = await fetch(`${runner.url}/mcp`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ ...INIT, params: { ...INIT.params, padding: 'x'.repeat(70_000) } }),
    });
    expect(big.status).toBe(413);
    const unknown = await fetch(`${runner.url}/mcp`, { headers: { ...auth, 'mcp-session-id': 'nope' } });
    expect(unknown.status).toBe(404);
    const noSession = await fetch(`${runner.url}/mcp`, { method: 'POST', headers: auth, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(noSession.status).toBe(400);
    const notJson = await fetch(`${runner.url}/mcp`, { method: 'POST', headers: auth, body: '{' });
    expect(notJson.status).toBe(400);
    const put = await fetch(`${runner.url}/mcp`, { method: 'PUT', headers: auth });
    expect(put.status).toBe(405);
    expect((await fetch(`${runner.url}/other`)).status).toBe(404);
  });
});
