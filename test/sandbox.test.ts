import { writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../api/db/embedded.ts';
import { signUpUser, type TestUser } from './accounts.ts';
import { createLocalModeWorld, type LocalModeWorld } from './local-mode-world.ts';

/**
 * Issue 15's proof: the real `@modelcontextprotocol/server-filesystem`, fetched by `npx` from the live npm
 * registry inside the sandbox, deployed with the path `/` for two tenants in local mode, and driven through
 * Hangar's proxy by the official SDK client. Its own tools show what a hostile server could reach.
 * The driver's data dir stands in for Hangar's: it holds a fernet.key, a postgres.password and a running
 * embedded PostgreSQL on its unix socket (`<dataDir>/run`), exactly as `npm start` lays them out.
 */
const PACKAGE = 'npm:@modelcontextprotocol/server-filesystem@2026.8.31';
const KEY_CANARY = 'fernet-canary-7d1c9e0b2a';

let world: LocalModeWorld;
let other: TestUser;
let database: EmbeddedDatabase;
const deployments: Record<'a' | 'b', { id: string; client: Client }> = {} as never;

async function deploy(user: TestUser, name: string): Promise<string> {
  const res = await world.hangar.request(`/v1/teams/${user.team.id}/deployments`, {
    method: 'POST',
    headers: { ...user.keyHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({ name, package: PACKAGE, args: ['/'] }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function waitRunning(user: TestUser, id: string, timeoutMs: number, minRestarts = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    if (row.state === 'running' && row.restartCount >= minRestarts) return;
    if (Date.now() > deadline) throw new Error(`deployment ${id} is ${row.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function connect(user: TestUser, id: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${world.baseUrl}/v1/deployments/${id}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${user.apiKey}` } },
  });
  const client = new Client({ name: 'sandbox-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
}

async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<{ ok: boolean; text: string }> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  return { ok: result.isError !== true, text: result.content.map((c) => c.text ?? '').join('\n') };
}

const machineDir = (id: string) => join(world.driver.dataDir, 'machines', id);

beforeAll(async () => {
  world = await createLocalModeWorld();
  const dataDir = world.driver.dataDir;
  writeFileSync(join(dataDir, 'fernet.key'), `${KEY_CANARY}\n`, { mode: 0o600 });
  database = await startEmbeddedPostgres({ dataDir, database: 'hangar' });
  other = await signUpUser(world.hangar, { verified: true });
  const [a, b] = await Promise.all([deploy(world.owner, 'files-a'), deploy(other, 'files-b')]);
  await Promise.all([waitRunning(world.owner, a, 90_000), waitRunning(other, b, 90_000)]);
  deployments.a = { id: a, client: await connect(world.owner, a) };
  deployments.b = { id: b, client: await connect(other, b) };
}, 120_000);

afterAll(async () => {
  await deployments.a?.client.close();
  await deployments.b?.client.close();
  await database?.stop();
  await world?.dispose();
});

describe('a local-mode deployment in its sandbox', () => {
  it('lists and calls its tools (it was fetched from the npm registry inside the sandbox)', async () => {
    const tools = (await deployments.a.client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['read_text_file', 'list_directory', 'write_file']));
    const root = await tool(deployments.a.client, 'list_directory', { path: '/' });
    expect(root.ok).toBe(true);
    // Its `/` is the sandbox's: the read-only runtime, its home and /tmp; no /root, /work, /var or /srv.
    expect(root.text).toContain('[DIR] home');
    for (const hidden of ['root', 'work', 'var', 'srv', 'mnt']) expect(root.text).not.toContain(`[DIR] ${hidden}\n`);
  });

  it('runs as an unprivileged uid, not root and not the API’s', async () => {
    const status = await tool(deployments.a.client, 'read_text_file', { path: '/proc/self/status' });
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status.text)?.[1]);
    expect(uid).not.toBe(0);
    expect(uid).not.toBe(process.getuid?.());
    if (process.getuid?.() === 0) expect(uid).toBeGreaterThanOrEqual(2_000_000);
    const capabilities = /^CapEff:\s+([0-9a-f]+)/m.exec(status.text)?.[1];
    expect(capabilities).toBe('0000000000000000');
  });

  it('cannot read Hangar’s data dir: the key, the database password, the cluster', async () => {
    const dataDir = world.driver.dataDir;
    for (const path of [join(dataDir, 'fernet.key'), join(dataDir, 'postgres.password'), join(dataDir, 'postgres', 'PG_VERSION')]) {
      const read = await tool(deployments.a.client, 'read_text_file', { path });
      expect(read.ok, path).toBe(false);
      expect(read.text).not.toContain(KEY_CANARY);
    }
    expect((await tool(deployments.a.client, 'list_directory', { path: dataDir })).ok).toBe(false);
  });

  it('cannot read the other tenant’s files', async () => {
    const written = await tool(deployments.b.client, 'write_file', { path: '/home/mcp/notes.txt', content: 'b-private-notes' });
    expect(written.ok).toBe(true);
    expect((await tool(deployments.b.client, 'read_text_file', { path: '/home/mcp/notes.txt' })).text).toBe('b-private-notes');
    const viaHost = await tool(deployments.a.client, 'read_text_file', { path: join(machineDir(deployments.b.id), 'home', 'notes.txt') });
    expect(viaHost.ok).toBe(false);
    const own = await tool(deployments.a.client, 'read_text_file', { path: '/home/mcp/notes.txt' });
    expect(own.ok).toBe(false);
  });

  it('cannot read another process’s environment: its /proc holds only its own PID namespace', async () => {
    const runnerB = world.driver.pidOf((await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: deployments.b.id } })).machineId ?? '');
    expect(runnerB).toBeGreaterThan(0);
    const environ = await tool(deployments.a.client, 'read_text_file', { path: `/proc/${runnerB}/environ` });
    expect(environ.ok).toBe(false);
    expect((await tool(deployments.a.client, 'read_text_file', { path: `/proc/${process.pid}/environ` })).ok).toBe(false);
    const proc = await tool(deployments.a.client, 'list_directory', { path: '/proc' });
    const pids = [...proc.text.matchAll(/\[DIR\] (\d+)$/gm)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.length).toBeLessThan(20);
    expect(pids).not.toContain(process.pid);
  });

  it('cannot connect to the embedded PostgreSQL: no TCP port, and its socket dir is not visible', async () => {
    expect(database.socketDir).toBe(join(world.driver.dataDir, 'run'));
    expect((await tool(deployments.a.client, 'list_directory', { path: database.socketDir ?? '' })).ok).toBe(false);
    const refused = await new Promise<string>((resolve) => {
      const socket = tcpConnect(database.port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve('connected')));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('is restarted after a crash, and its tools work again', async () => {
    const row = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: deployments.a.id } });
    const status = await tool(deployments.a.client, 'read_text_file', { path: '/proc/self/status' });
    expect(status.ok).toBe(true);
    // Crash: kill the runner's whole machine as an OOM kill would.
    process.kill(world.driver.pidOf(row.machineId ?? '') ?? 0, 'SIGKILL');
    await waitRunning(world.owner, deployments.a.id, 40_000, row.restartCount + 1);
    await deployments.a.client.close();
    deployments.a.client = await connect(world.owner, deployments.a.id);
    expect((await tool(deployments.a.client, 'list_directory', { path: '/home/mcp' })).ok).toBe(true);
  }, 60_000);
});
