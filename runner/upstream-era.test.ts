import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, ENV_FIXTURE, firstText, spawnRunner, waitFor, type SpawnedRunner } from './test-support.ts';
import { connectModern } from '../test/mcp-revisions.ts';
import { initializeResultFrom, modernDiscoverOf, withEnvelope } from './upstream-era.ts';

const TOKEN = 'runner-era-token-0123456789abcdef';
const MODERN_FIXTURE = fileURLToPath(new URL('../test/fixtures/modern-stdio-server.mjs', import.meta.url));
const STRICT_FIXTURE = fileURLToPath(new URL('../test/fixtures/exits-on-probe-server.mjs', import.meta.url));
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HANGAR_RUNNER_TOKEN: TOKEN };

let runner: SpawnedRunner | undefined;
afterEach(async () => {
  runner?.process.kill('SIGTERM');
  await runner?.exited;
  runner = undefined;
});

const eraLogged = (r: SpawnedRunner) => r.lines.map((l) => JSON.parse(l) as { msg?: string; era?: string }).find((l) => l.msg === 'mcp server revision')?.era;

describe('the runner probes its stdio server with server/discover', () => {
  it('a v2 SDK server (serveStdio) is spoken to in 2026-07-28: both SDK clients work, the server never sees initialize', async () => {
    runner = await spawnRunner(['--', process.execPath, MODERN_FIXTURE], ENV);
    const r = runner;
    await waitFor(() => eraLogged(r) !== undefined, 10_000);
    expect(eraLogged(r)).toBe('modern');
    const health = await fetch(`${r.url}/healthz`);
    expect(health.status).toBe(200);

    const modern = await connectModern(`${r.url}/mcp`, TOKEN);
    expect(modern.getServerVersion()).toMatchObject({ name: 'modern-fixture', version: '2.0.0' });
    expect(modern.getInstructions()).toBe('A v2 SDK fixture');
    expect(firstText(await modern.callTool({ name: 'remember', arguments: { note: 'from-v2' } }))).toBe('remembered 1');

    const { client: legacy } = await connectClient(r.url, TOKEN);
    expect(legacy.getServerVersion()).toMatchObject({ name: 'modern-fixture', version: '2.0.0' });
    expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(['remember', 'recall', 'wait', 'stats']);
    expect(firstText(await legacy.callTool({ name: 'remember', arguments: { note: 'from-v1' } }))).toBe('remembered 2');
    expect(firstText(await modern.callTool({ name: 'recall', arguments: {} }))).toBe('from-v2,from-v1');
    // One server instance: the probe's modern one, pinned; a legacy initialize would have made a second.
    expect(JSON.parse(firstText(await legacy.callTool({ name: 'stats', arguments: {} })))).toEqual({ instances: 1, cancelled: 0 });
    // A stateless client that leaves mid-call: the runner cancels the request at the server.
    const leaving = new AbortController();
    const pending = fetch(`${r.url}/mcp`, {
      method: 'POST',
      signal: leaving.signal,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'wait' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    leaving.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(async () => (JSON.parse(firstText(await modern.callTool({ name: 'stats', arguments: {} }))) as { cancelled: number }).cancelled === 1, 3_000);
    await legacy.close();
    await modern.close();
  }, 30_000);

  it('a v1 SDK server answers the probe with an error: initialize as before (legacy)', async () => {
    runner = await spawnRunner(['--', process.execPath, ENV_FIXTURE], ENV);
    const r = runner;
    await waitFor(() => eraLogged(r) !== undefined, 10_000);
    expect(eraLogged(r)).toBe('legacy');
    const modern = await connectModern(`${r.url}/mcp`, TOKEN);
    expect(firstText(await modern.callTool({ name: 'echo', arguments: { message: 'a' } }))).toBe('echo:a');
    await modern.close();
  }, 30_000);

  it('a server that exits on the probe is started again once and served as session-era', async () => {
    runner = await spawnRunner(['--', process.execPath, STRICT_FIXTURE], ENV);
    const r = runner;
    await waitFor(() => eraLogged(r) !== undefined, 10_000);
    expect(eraLogged(r)).toBe('legacy');
    expect(r.lines.some((l) => l.includes('exited on the server/discover probe'))).toBe(true);
    const { client } = await connectClient(r.url, TOKEN);
    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'b' } }))).toBe('strict:b');
    const modern = await connectModern(`${r.url}/mcp`, TOKEN);
    expect(firstText(await modern.callTool({ name: 'echo', arguments: { message: 'c' } }))).toBe('strict:c');
    await Promise.all([client.close(), modern.close()]);
  }, 30_000);

  it('--server-era legacy skips the probe', async () => {
    runner = await spawnRunner(['--server-era', 'legacy', '--', process.execPath, MODERN_FIXTURE], ENV);
    const { client } = await connectClient(runner.url, TOKEN);
    expect(firstText(await client.callTool({ name: 'remember', arguments: { note: 'x' } }))).toBe('remembered 1');
    expect(eraLogged(runner)).toBeUndefined();
    await client.close();
  }, 30_000);
});

describe('probe verdicts and the session view of a modern server', () => {
  it('only a result naming 2026-07-28 is modern evidence', () => {
    expect(modernDiscoverOf({ jsonrpc: '2.0', id: 1, result: { supportedVersions: ['2026-07-28'], capabilities: {} } })).toEqual({ supportedVersions: ['2026-07-28'], capabilities: {} });
    expect(modernDiscoverOf({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } })).toBeUndefined();
    expect(modernDiscoverOf({ jsonrpc: '2.0', id: 1, result: { supportedVersions: ['2025-11-25'] } })).toBeUndefined();
    expect(modernDiscoverOf({ jsonrpc: '2.0', id: 1, result: {} })).toBeUndefined();
    expect(modernDiscoverOf(undefined)).toBeUndefined();
  });

  it('InitializeResult: the client’s session revision when spoken, else 2025-11-25; the caller’s _meta keys win', () => {
    const discover = { supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, instructions: 'hi', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' } } };
    expect(initializeResultFrom(discover, '2025-06-18')).toEqual({ protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' }, instructions: 'hi' });
    expect(initializeResultFrom(discover, '2099-01-01').protocolVersion).toBe('2025-11-25');
    const params = withEnvelope({ name: 'x', _meta: { progressToken: 3 } }, { capabilities: { sampling: {} }, clientInfo: undefined });
    expect(params).toEqual({ name: 'x', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { sampling: {} }, progressToken: 3 } });
  });

  it('a server that never answers the probe is session-era after --probe-timeout-ms', async () => {
    runner = await spawnRunner(['--probe-timeout-ms', '300', '--', process.execPath, '-e', 'process.stdin.resume()'], ENV);
    const r = runner;
    await waitFor(() => eraLogged(r) !== undefined, 5_000);
    expect(eraLogged(r)).toBe('legacy');
  });
});
