import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHome, runHangar } from '../cli/test-harness.ts';
import { ENV_FIXTURE } from '../runner/test-support.ts';
import { signUpUser } from './accounts.ts';
import { createLocalModeWorld, EVERYTHING_PACKAGE, EVERYTHING_VERSION, type LocalModeWorld } from './local-mode-world.ts';

/**
 * Issue 18 items 3, 4 and 6 in local mode, through a real runner and a real stdio MCP server (the runner's
 * env fixture: tools env, echo, leak, exit): the call log matches the calls made, tool policies hide and
 * refuse tools for 2025-11-25 sessions (SSE answers) and 2026-07-28 stateless requests (JSON answers).
 */
let world: LocalModeWorld;
let id: string;
type Call = { time: string; method: string; tool: string | null; durationMs: number; outcome: string; errorCode: number | null; keyId: string | null };

async function api<T>(path: string, init: RequestInit = {}, headers: Record<string, string> = world.owner.keyHeaders): Promise<{ status: number; body: T }> {
  const res = await world.hangar.request(path, { ...init, headers: { ...headers, 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as T };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await read();
  }
  if (!ok(last)) throw new Error(`condition not met: ${JSON.stringify(last).slice(0, 2000)}`);
  return last;
}

async function legacyClient(): Promise<Client> {
  const client = new Client({ name: 'calls-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${world.baseUrl}/v1/deployments/${id}/mcp`), { requestInit: { headers: { authorization: `Bearer ${world.owner.apiKey}` } } }));
  return client;
}

async function modernClient(): Promise<ModernClient> {
  const client = new ModernClient({ name: 'calls-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(new URL(`${world.baseUrl}/v1/deployments/${id}/mcp`), { requestInit: { headers: { authorization: `Bearer ${world.owner.apiKey}` } } }));
  return client;
}

/** Every call row, newest first, read page by page with `limit`. */
async function allCalls(limit: number): Promise<{ rows: Call[]; pages: number }> {
  await world.hangar.services.callLog.flush();
  const rows: Call[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: { status: number; body: { data: Call[]; nextCursor: string | null } } = await api(`/v1/deployments/${id}/calls?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    rows.push(...page.body.data);
    cursor = page.body.nextCursor;
    pages += 1;
  } while (cursor);
  return { rows, pages };
}

const policy = (body: Record<string, unknown>, headers?: Record<string, string>) => api<Record<string, unknown>>(`/v1/deployments/${id}`, { method: 'PATCH', body: JSON.stringify(body) }, headers);

beforeAll(async () => {
  // Unsandboxed: the fixture lives in the repository, which a sandbox does not show.
  world = await createLocalModeWorld({ serverCommand: () => [process.execPath, ENV_FIXTURE], sandbox: false });
  const made = await api<{ id: string }>(`/v1/teams/${world.owner.team.id}/deployments`, { method: 'POST', body: JSON.stringify({ name: 'calls', package: `npm:${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION}` }) });
  expect(made.status).toBe(202);
  id = made.body.id;
  const state = await until(async () => (await api<{ state: string }>(`/v1/deployments/${id}`)).body.state, (s) => s === 'running' || s === 'failed', 120_000);
  if (state !== 'running') throw new Error(`deployment ${state}: ${JSON.stringify((await api(`/v1/deployments/${id}/logs`)).body).slice(0, 3000)}`);
}, 130_000);
afterAll(async () => {
  await world.dispose();
});

describe('the call log', () => {
  it('has one row per request, newest first, naming tools and outcomes, never arguments; pages with the cursor', async () => {
    const client = await legacyClient();
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { message: 'argument-never-logged' } });
    await client.callTool({ name: 'no-such-tool', arguments: {} }).catch(() => undefined);
    await client.callTool({ name: 'echo', arguments: { message: 'x' } });
    await client.close();
    // A row is recorded when its answer ends, which for an SSE answer can follow the client's next step.
    const { rows, pages } = await until(() => allCalls(2), (read) => read.rows.filter((r) => r.method !== 'GET').length >= 6, 10_000);
    // The client's GET stream (if it opened one) ends with the client: left out of the exact sequence.
    const posts = rows.filter((r) => r.method !== 'GET');
    expect(posts.map((r) => [r.method, r.tool, r.outcome])).toEqual([
      ['tools/call', 'echo', 'ok'],
      ['tools/call', 'no-such-tool', 'error'],
      ['tools/call', 'echo', 'ok'],
      ['tools/list', null, 'ok'],
      ['notifications/initialized', null, 'ok'],
      ['initialize', null, 'ok'],
    ]);
    expect(pages).toBe(Math.ceil(rows.length / 2));
    expect(new Set(rows.map((r) => r.keyId))).toEqual(new Set([world.owner.apiKeyId]));
    const times = rows.map((r) => r.time);
    expect([...times].sort().reverse()).toEqual(times);
    expect(JSON.stringify(rows)).not.toContain('argument-never-logged');
    expect(posts.every((r) => Number.isInteger(r.durationMs) && r.durationMs >= 0)).toBe(true);
    expect((await api(`/v1/deployments/${id}/calls?cursor=not-ours`)).status).toBe(400);
    expect((await api(`/v1/deployments/${id}/calls?limit=201`)).status).toBe(400);

    const home = createCliHome();
    try {
      const env = { HANGAR_URL: world.baseUrl, HANGAR_API_KEY: world.owner.apiKey, NO_COLOR: '1' };
      const json = await runHangar(['calls', 'calls', '--json'], { ...home, env });
      expect(json.code).toBe(0);
      expect((JSON.parse(json.stdout) as Call[]).filter((r) => r.method !== 'GET')).toEqual(posts);
      const text = await runHangar(['calls', id], { ...home, env });
      expect(text.stdout.split('\n').filter((l) => l.includes('tools/call'))).toEqual([
        expect.stringMatching(/tools\/call echo {2}ok {2}\d+ ms$/),
        expect.stringMatching(/tools\/call no-such-tool {2}error( -?\d+)? {2}\d+ ms$/),
        expect.stringMatching(/tools\/call echo {2}ok {2}\d+ ms$/),
      ]);
    } finally {
      home.dispose();
    }
  }, 30_000);

  it('counts calls and errors by tool in /metrics', async () => {
    const text = world.hangar.services.metrics.registry.render();
    expect(text).toContain(`hangar_mcp_calls_total{deployment="${id}",tool="echo"} 2`);
    expect(text).toContain(`hangar_mcp_call_errors_total{deployment="${id}",tool="no-such-tool"} 1`);
    expect(text).not.toContain(`hangar_mcp_call_errors_total{deployment="${id}",tool="echo"}`);
  });

  it('prunes rows older than the retention (14 days by default) and keeps the rest', async () => {
    const db = world.hangar.services.db;
    const old = new Date(Date.now() - 15 * 86_400_000);
    await db.deploymentCall.create({ data: { deploymentId: id, method: 'ping', durationMs: 1, outcome: 'ok', createdAt: old } });
    const before = await db.deploymentCall.count({ where: { deploymentId: id } });
    expect(world.hangar.services.callLog.settings.retentionDays).toBe(14);
    expect(await world.hangar.services.callLog.prune()).toBe(1);
    expect(await db.deploymentCall.count({ where: { deploymentId: id } })).toBe(before - 1);
    expect(await db.deploymentCall.count({ where: { createdAt: old } })).toBe(0);
  });

  it('answers another team exactly like a missing deployment', async () => {
    const stranger = await signUpUser(world.hangar, { verified: true });
    for (const path of [`/v1/deployments/${id}/calls`, '/v1/deployments/dep_missing0000000/calls']) {
      const res = await world.hangar.request(path, { headers: stranger.keyHeaders });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect((await policy({ denyTools: ['echo'] }, stranger.keyHeaders)).status).toBe(404);
  });
});

describe('tool policies', () => {
  it('only team admins set them; both lists at once and bad patterns are refused; nothing changes', async () => {
    const member = await signUpUser(world.hangar, { verified: true });
    await world.hangar.services.db.membership.create({ data: { teamId: world.owner.team.id, userId: member.user.id, role: 'member' } });
    const denied = await policy({ denyTools: ['leak'] }, member.keyHeaders);
    expect(denied.status).toBe(403);
    expect((await policy({ allowTools: ['echo'], denyTools: ['leak'] })).status).toBe(400);
    expect((await policy({ denyTools: ['rm -rf'] })).status).toBe(400);
    expect((await policy({ denyTools: Array.from({ length: 101 }, (_, i) => `t${i}`) })).status).toBe(400);
    const row = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    expect([row.allowToolsSet, row.allowTools, row.denyTools]).toEqual([false, [], []]);
  });

  it('a denied tool is absent from tools/list and refused without forwarding, on both revisions', async () => {
    const before = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    const set = await policy({ denyTools: ['le?k', 'ex*'] });
    expect(set.status).toBe(202);
    expect([set.body.denyTools, set.body.allowTools, set.body.generation]).toEqual([['le?k', 'ex*'], null, before.generation]);
    const audit = await world.hangar.services.db.auditEntry.findFirst({ where: { action: 'deployment.tool_policy', resourceId: id } });
    expect(audit?.data).toMatchObject({ denyTools: ['le?k', 'ex*'], allowTools: null });

    const legacy = await legacyClient();
    expect((await legacy.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'env']);
    await expect(legacy.callTool({ name: 'exit', arguments: { code: 3 } })).rejects.toThrow(/not allowed/);
    const modern = await modernClient();
    expect((await modern.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'env']);
    await expect(modern.callTool({ name: 'exit', arguments: { code: 3 } })).rejects.toThrow(/not allowed/);
    // A stateless request whose Mcp-Name header names a refused tool is refused too.
    const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
    const raw = await fetch(`${world.baseUrl}/v1/deployments/${id}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.owner.apiKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': `=?base64?${Buffer.from('exit').toString('base64')}?=` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' }, _meta: META } }),
    });
    expect(await raw.json()).toEqual({ jsonrpc: '2.0', id: 9, error: { code: -32602, message: 'Tool exit is not allowed on this deployment' } });
    // Never forwarded: `exit` would have ended the server; it still answers and never exited.
    expect(JSON.stringify((await legacy.callTool({ name: 'echo', arguments: { message: 'alive' } })).content)).toContain('alive');
    const events = await api<{ data: Array<{ type: string }> }>(`/v1/deployments/${id}/events?limit=200`);
    expect(events.body.data.some((e) => e.type === 'exited')).toBe(false);
    const { rows } = await allCalls(200);
    expect(rows.filter((r) => r.tool === 'exit').map((r) => [r.outcome, r.errorCode])).toEqual([['error', -32602], ['error', -32602]]);

    // An allow-list replaces the deny-list; null lifts it.
    expect((await policy({ allowTools: ['echo'] })).body).toMatchObject({ allowTools: ['echo'], denyTools: [] });
    expect((await legacy.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    expect((await modern.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    await expect(legacy.callTool({ name: 'env', arguments: {} })).rejects.toThrow(/not allowed/);
    expect((await policy({ allowTools: null })).body).toMatchObject({ allowTools: null, denyTools: [] });
    expect((await legacy.listTools()).tools.map((t) => t.name).sort()).toEqual(['echo', 'env', 'exit', 'leak']);
    await legacy.close();
    await modern.close();
  }, 30_000);
});
