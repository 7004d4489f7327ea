import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliHome, HANGAR_BIN, runHangar } from './test-harness.ts';

/**
 * The CLI against servers that are not Hangar, and against a reader that stops early: one clear line and
 * exit 1 for the first, a quiet exit for the second, never a stack trace.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: Server;
let url: string;
const home = createCliHome();

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  home.dispose();
});

const env = () => ({ HANGAR_URL: url, HANGAR_API_KEY: 'hgr_notreallyakey', HANGAR_TEAM: 'team_x' });
const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('a server that is not Hangar', () => {
  it('a 200 with unexpected JSON and no Hangar request id: one clear line, exit 1', async () => {
    handler = (_req, res) => json(res, { data: 5, hello: 'world' });
    const result = await runHangar(['ls'], { ...home, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`The server at ${url} does not answer like Hangar`);
    expect(result.stderr).not.toMatch(/Unexpected error|not iterable|\n\s+at /);
  });

  it('an HTML page: the same', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>');
    const result = await runHangar(['events', 'dep_0123456789abcdef'], { ...home, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not answer like Hangar');
  });

  it('a server that stamps request ids but answers other shapes: still a clear line', async () => {
    handler = (_req, res) => json(res, { data: 'nope', nextCursor: null }, { 'x-request-id': 'req_1' });
    const result = await runHangar(['ls'], { ...home, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('does not answer like Hangar');
    expect(result.stderr).not.toMatch(/Unexpected error|not iterable|\n\s+at /);
  });
});

describe('output piped into a reader that closes', () => {
  it('`hangar events <id> | head -5` ends quietly, without EPIPE or a stack trace', async () => {
    const event = (i: number) => ({ id: `ev_${i}`, type: 'state', fromState: 'pending', toState: 'running', reason: `event number ${i}`, createdAt: new Date(0).toISOString() });
    handler = (req, res) => {
      const u = new URL(req.url ?? '/', url);
      if (u.pathname.endsWith('/events')) {
        const page = Number(u.searchParams.get('cursor') ?? 0);
        const data = page < 60 ? Array.from({ length: 200 }, (_, i) => event(page * 200 + i)) : [];
        return json(res, { data, nextCursor: String(page + 1) }, { 'x-request-id': 'req_e' });
      }
      json(res, { id: 'dep_0123456789abcdef', name: 'd', state: 'running' }, { 'x-request-id': 'req_d' });
    };
    const command = `'${process.execPath}' '${HANGAR_BIN}' events dep_0123456789abcdef | head -5`;
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home.home, XDG_CONFIG_HOME: home.configDir, ...env() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout.trim().split('\n')).toHaveLength(5);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 60_000);
});
