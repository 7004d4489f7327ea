import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageCommand } from '../api/machines/machine-config.ts';
import { createCliHome, runHangar } from '../cli/test-harness.ts';
import { ENV_FIXTURE } from '../runner/test-support.ts';
import { signUpUser } from './accounts.ts';
import { createLocalModeWorld, EVERYTHING_PACKAGE, EVERYTHING_VERSION, type LocalModeWorld } from './local-mode-world.ts';

/**
 * Issue 18's proof in local mode. `@modelcontextprotocol/server-postgres` runs for real from npm (no
 * database URL argument: it prints why on stderr and exits). Deployments admitted as server-everything
 * run the runner's env fixture instead (a real stdio MCP server that prints a secret on demand), so the
 * masking, the call log and tool policies are checked against tools we control.
 */
const POSTGRES = '@modelcontextprotocol/server-postgres@0.6.2';
const SECRET = 'sk_fixture_0123456789abcdef';

let world: LocalModeWorld;
type Line = { time: string; stream: string; line: string };

async function api<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await world.hangar.request(path, { ...init, headers: { ...world.owner.keyHeaders, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
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

async function deploy(name: string, pkg: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api<{ id: string }>(`/v1/teams/${world.owner.team.id}/deployments`, { method: 'POST', body: JSON.stringify({ name, package: `npm:${pkg}`, ...extra }) });
  expect(res.status).toBe(202);
  return res.body.id;
}

const state = async (id: string) => (await api<{ state: string }>(`/v1/deployments/${id}`)).body.state;

beforeAll(async () => {
  // Unsandboxed: the env fixture lives in the repository, which a sandbox does not show.
  world = await createLocalModeWorld({
    sandbox: false,
    serverCommand: (plan) => (plan.packageRef.startsWith(`${EVERYTHING_PACKAGE}@`) ? [process.execPath, ENV_FIXTURE] : packageCommand(plan.runtime, plan.packageRef, plan.args)),
  });
}, 60_000);
afterAll(async () => {
  await world.dispose();
});

describe('a server that crashes at start (server-postgres without a database URL)', () => {
  let id: string;
  it('shows its stderr reason in the exit event, in the failure and in the logs', async () => {
    id = await deploy('pg', POSTGRES);
    const events = await until(
      async () => (await api<{ data: Array<{ type: string; data: { lastLines?: string[] } }> }>(`/v1/deployments/${id}/events?limit=200`)).body.data,
      (data) => data.some((e) => e.type === 'exited' && (e.data.lastLines?.length ?? 0) > 0),
      120_000,
    );
    const exit = events.find((e) => e.type === 'exited' && (e.data.lastLines?.length ?? 0) > 0)!;
    expect(exit.data.lastLines!.join('\n')).toMatch(/database URL/i);

    const logs = await api<{ data: Line[] }>(`/v1/deployments/${id}/logs?tail=50`);
    expect(logs.status).toBe(200);
    expect(logs.body.data.length).toBeLessThanOrEqual(50);
    expect(logs.body.data.some((l) => l.stream === 'stderr' && /database URL/i.test(l.line))).toBe(true);
    expect(logs.body.data.some((l) => l.stream === 'system' && /^exit: machine exited with code 1$/.test(l.line))).toBe(true);
    expect(logs.body.data.some((l) => l.stream === 'system' && l.line.startsWith('launch: '))).toBe(true);
    const times = logs.body.data.map((l) => l.time);
    expect([...times].sort()).toEqual(times);
    expect((await api(`/v1/deployments/${id}/logs?tail=1001`)).status).toBe(400);
    const two = await api<{ data: Line[] }>(`/v1/deployments/${id}/logs?tail=2`);
    expect(two.body.data).toEqual(logs.body.data.slice(-2));
  }, 130_000);

  it('`hangar logs` shows the reason, and `hangar deploy` prints the last lines when the start fails', async () => {
    const home = createCliHome();
    const env = { HANGAR_URL: world.baseUrl, HANGAR_API_KEY: world.owner.apiKey, NO_COLOR: '1' };
    try {
      const logs = await runHangar(['logs', id, '--tail', '50'], { ...home, env });
      expect(logs.code).toBe(0);
      expect(logs.stdout).toMatch(/database URL/i);
      expect(logs.stdout).toMatch(/\[hangar\] exit: machine exited with code 1/);
      const json = await runHangar(['logs', 'pg', '--tail', '3', '--json'], { ...home, env });
      expect((JSON.parse(json.stdout) as Line[]).length).toBe(3);
      expect((await runHangar(['logs', id, '--tail', '0'], { ...home, env })).code).toBe(2);
      const deploy = await runHangar(['deploy', `npm:${POSTGRES}`, '--name', 'pg-cli', '--no-mcp-key', '--interval', '200'], { ...home, env, timeoutMs: 100_000 });
      expect(deploy.code).toBe(1);
      expect(deploy.stderr).toMatch(/Last lines \(`hangar logs dep_[0-9a-z]+` for more\):/);
      expect(deploy.stderr).toMatch(/database URL/i);
    } finally {
      home.dispose();
    }
  }, 110_000);

  it('answers another team exactly like a missing deployment', async () => {
    const stranger = await signUpUser(world.hangar, { verified: true });
    for (const path of [`/v1/deployments/${id}/logs`, '/v1/deployments/dep_missing0000000/logs']) {
      const res = await world.hangar.request(path, { headers: stranger.keyHeaders });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });
});

describe('a running server', () => {
  let id: string;
  let client: Client;
  beforeAll(async () => {
    id = await deploy('fixture', `${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION}`, { secrets: { FIXTURE_SECRET: { value: SECRET } } });
    await until(() => state(id), (s) => s === 'running', 120_000);
    const transport = new StreamableHTTPClientTransport(new URL(`${world.baseUrl}/v1/deployments/${id}/mcp`), { requestInit: { headers: { authorization: `Bearer ${world.owner.apiKey}` } } });
    client = new Client({ name: 'logs-test', version: '1.0.0' });
    await client.connect(transport);
  }, 130_000);
  afterAll(async () => {
    await client.close();
  });

  it('masks a secret the server prints', async () => {
    await client.callTool({ name: 'leak', arguments: { message: 'x' } });
    const logs = await until(
      async () => (await api<{ data: Line[] }>(`/v1/deployments/${id}/logs`)).body.data,
      (data) => data.some((l) => l.stream === 'stderr' && l.line.includes('server config')),
      10_000,
    );
    const leak = logs.find((l) => l.line.includes('server config'))!;
    expect(leak.line).toBe('server config: secret sk_*****');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('follow mode streams a restart’s system lines within seconds, and stops when the client leaves', async () => {
    const controller = new AbortController();
    const res = await fetch(`${world.baseUrl}/v1/deployments/${id}/logs?tail=5`, { headers: { authorization: `Bearer ${world.owner.apiKey}`, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const restarted = Date.now();
    expect((await api(`/v1/deployments/${id}/restart`, { method: 'POST' })).status).toBe(202);
    while (!/event: log\ndata: \{[^\n]*"stream":"system","line":"restart: /.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(Date.now() - restarted).toBeLessThan(8000);
    expect(world.hangar.services.mcpStreams.inUse('deployment', id)).toBe(1);
    controller.abort();
    await until(async () => world.hangar.services.mcpStreams.inUse('deployment', id), (n) => n === 0, 5000);
    await until(() => state(id), (s) => s === 'running', 60_000);
  }, 70_000);
});
