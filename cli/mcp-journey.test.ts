import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestUser } from '../test/accounts.ts';
import { createLocalModeWorld, EVERYTHING_PACKAGE, EVERYTHING_VERSION, type LocalModeWorld } from '../test/local-mode-world.ts';
import { createCliHome, runHangar } from './test-harness.ts';

/**
 * The journey's last mile in local mode: `hangar deploy` of a real MCP server from the live npm registry,
 * run by the local driver, then an MCP client configured exactly from the snippet the CLI printed.
 */
const PACKAGE = EVERYTHING_PACKAGE;
const VERSION = EVERYTHING_VERSION;

let world: LocalModeWorld;
let url: string;
let owner: TestUser;
const cli = createCliHome();
const run = (args: string[], input?: string) => runHangar(args, { ...cli, env: { HANGAR_URL: url }, input, timeoutMs: 150_000 });

beforeAll(async () => {
  world = await createLocalModeWorld();
  ({ baseUrl: url, owner } = world);
}, 60_000);

afterAll(async () => {
  await world.dispose();
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
