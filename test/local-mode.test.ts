import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from './accounts.ts';
import type { TestHangar } from './hangar.ts';
import { createLocalModeWorld, EVERYTHING_PACKAGE, EVERYTHING_VERSION, type LocalModeWorld } from './local-mode-world.ts';
import { connectModern, textOf } from './mcp-revisions.ts';

/**
 * Issue 7's end-to-end proof, in local mode (no Fly token): a real MCP server package from the live npm
 * registry, admitted, launched by the reconciler as a local runner process with `npx -y <pinned>`, and used
 * through Hangar's proxy by the official MCP SDK client with an API key.
 */
const PACKAGE = EVERYTHING_PACKAGE;
const VERSION = EVERYTHING_VERSION;

let world: LocalModeWorld;
let hangar: TestHangar;
let baseUrl: string;
let owner: TestUser;
let depId: string;

async function deploymentState(): Promise<string> {
  const res = await hangar.request(`/v1/deployments/${depId}`, { headers: owner.keyHeaders });
  return ((await res.json()) as { state: string }).state;
}

async function waitForState(state: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await deploymentState();
    if (last === state) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`deployment still ${last} after ${timeoutMs} ms`);
}

async function connect(key: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/v1/deployments/${depId}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  const client = new Client({ name: 'hangar-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

beforeAll(async () => {
  world = await createLocalModeWorld();
  ({ hangar, baseUrl, owner } = world);
}, 60_000);

afterAll(async () => {
  await world.dispose();
});

describe('local mode, end to end', () => {
  it('deploys a real MCP server from the npm registry and runs it as a local runner', async () => {
    const res = await hangar.request(`/v1/teams/${owner.team.id}/deployments`, {
      method: 'POST',
      headers: { ...owner.keyHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'everything', package: `npm:${PACKAGE}@${VERSION}`, args: ['stdio'] }),
    });
    expect(res.status).toBe(202);
    depId = ((await res.json()) as { id: string }).id;
    await waitForState('running', 120_000);
  }, 130_000);

  it('serves tools through the proxy to the official SDK client, with notifications on the GET stream', async () => {
    const { client } = await connect(owner.apiKey);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo']));
    const echoed = (await client.callTool({ name: 'echo', arguments: { message: 'through hangar' } })) as { content: Array<{ text?: string }> };
    expect(echoed.content[0]?.text).toBe('Echo: through hangar');

    const received: string[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(String(n.params.data)));
    await new Promise((r) => setTimeout(r, 300));
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBeGreaterThan(0);
    await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await client.close();
  }, 30_000);

  it('serves the same npx-installed server to a 2026-07-28 client (v2 SDK, stateless) on the same URL', async () => {
    const modern = await connectModern(`${baseUrl}/v1/deployments/${depId}/mcp`, owner.apiKey);
    expect(modern.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(textOf(await modern.callTool({ name: 'echo', arguments: { message: 'stateless through hangar' } }))).toBe('Echo: stateless through hangar');
    await modern.close();
  }, 30_000);

  it('answers 401 without a key and 404 to another team’s key', async () => {
    const anonymous = await fetch(`${baseUrl}/v1/deployments/${depId}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(anonymous.status).toBe(401);
    const stranger = await signUpUser(hangar, { verified: true });
    const theirs = await fetch(`${baseUrl}/v1/deployments/${depId}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stranger.apiKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(theirs.status).toBe(404);
    await expect(connect(stranger.apiKey)).rejects.toThrow(/Deployment not found/);
  }, 30_000);

  it('restarts the server when it dies, and the next tool call works', async () => {
    const dep = await hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } });
    const home = { appName: dep.flyAppName ?? '', network: 'loopback' };
    const machine = await hangar.services.driver.getMachine(home, dep.machineId ?? '');
    expect(machine?.state).toBe('started');
    // Kill the MCP server (the runner's child, leader of its own process group) as a crash would.
    const runnerPid = world.driver.pidOf(dep.machineId ?? '');
    expect(runnerPid).toBeGreaterThan(0);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(runnerPid)]).toString().trim().split(/\s+/).map(Number);
    expect(children.length).toBeGreaterThan(0);
    for (const child of children) {
      try {
        process.kill(-child, 'SIGKILL');
      } catch {
        process.kill(child, 'SIGKILL');
      }
    }
    const deadline = Date.now() + 60_000;
    let restarted = false;
    while (!restarted && Date.now() < deadline) {
      const row = await hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } });
      restarted = row.restartCount >= 1 && row.state === 'running';
      if (!restarted) await new Promise((r) => setTimeout(r, 250));
    }
    expect(restarted).toBe(true);
    const { client } = await connect(owner.apiKey);
    const echoed = (await client.callTool({ name: 'echo', arguments: { message: 'again' } })) as { content: Array<{ text?: string }> };
    expect(echoed.content[0]?.text).toBe('Echo: again');
    await client.close();
    const events = await hangar.request(`/v1/deployments/${depId}/events?limit=200`, { headers: owner.keyHeaders });
    const types = ((await events.json()) as { data: Array<{ type: string }> }).data.map((e) => e.type);
    expect(types).toContain('exited');
  }, 90_000);
});
