import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalMachineDriver } from '../api/machines/local-driver.ts';
import { systemClock } from '../api/platform/clock.ts';
import { createLogger } from '../api/platform/logger.ts';
import { signUpUser, type TestUser } from '../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../test/hangar.ts';
import { createCliHome, runHangar } from './test-harness.ts';

/**
 * The journey's last mile in local mode: `hangar deploy` of a real MCP server from the live npm registry,
 * run by the local driver, then an MCP client configured exactly from the snippet the CLI printed.
 */
const PACKAGE = '@modelcontextprotocol/server-everything';
const VERSION = (JSON.parse(readFileSync(new URL(`../node_modules/${PACKAGE}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;

let hangar: TestHangar;
let server: ServerType;
let url: string;
let owner: TestUser;
const cli = createCliHome();
const machinesDir = mkdtempSync(join(tmpdir(), 'hangar-cli-local-'));
const run = (args: string[], input?: string) => runHangar(args, { ...cli, env: { HANGAR_URL: url }, input, timeoutMs: 150_000 });

beforeAll(async () => {
  let app: { fetch(request: Request): Response | Promise<Response> } | undefined;
  server = serve({ fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })), port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const driver = new LocalMachineDriver({ dataDir: machinesDir, logger: createLogger({ level: 'silent' }), healthIntervalMs: 300 });
  hangar = await createTestHangar({
    clock: systemClock,
    driver,
    env: { HANGAR_PUBLIC_URL: url },
    reconciler: { intervalMs: 300, busyIntervalMs: 200, startGraceMs: 90_000, healthFailureThreshold: 2, restartBackoffBaseMs: 200 },
  });
  app = hangar.app;
  owner = await signUpUser(hangar, { verified: true });
  hangar.services.reconciler.start();
}, 60_000);

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await hangar.dispose();
  rmSync(machinesDir, { recursive: true, force: true });
  cli.dispose();
});

describe('hangar deploy, then MCP with the printed config', () => {
  it('deploys a real server and answers tools through the configured endpoint', async () => {
    expect((await run(['login', '--api-key', '-'], owner.apiKey)).code).toBe(0);
    const res = await run(['deploy', `npm:${PACKAGE}@${VERSION}`, '--name', 'everything', '--interval', '250', '--timeout', '120']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('everything is running');

    // Paste the Inspector snippet, as a user would, and connect with what it says.
    const snippet = res.stdout.slice(res.stdout.indexOf('{', res.stdout.indexOf('MCP Inspector')));
    const config = JSON.parse(snippet) as { mcpServers: Record<string, { type: string; url: string; headers: Record<string, string> }> };
    const entry = config.mcpServers.everything;
    expect(entry?.type).toBe('streamable-http');
    const transport = new StreamableHTTPClientTransport(new URL(entry?.url ?? ''), { requestInit: { headers: entry?.headers ?? {} } });
    const client = new Client({ name: 'hangar-cli-e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('echo');
      const answer = await client.callTool({ name: 'echo', arguments: { message: 'through the CLI config' } });
      expect(JSON.stringify(answer.content)).toContain('through the CLI config');
    } finally {
      await client.close();
    }
    // The snippet's key carries only the mcp scope: it cannot read the deployment through the REST API.
    const token = (entry?.headers.Authorization ?? '').replace(/^Bearer /, '');
    const rest = await fetch(`${url}/v1/teams/${owner.team.id}/deployments`, { headers: { authorization: `Bearer ${token}` } });
    expect(rest.status).toBe(403);

    const rm = await run(['rm', 'everything', '--yes', '--wait', '--interval', '250', '--timeout', '60']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toContain('everything is deleted');
  }, 180_000);
});
