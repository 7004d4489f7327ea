/**
 * Added latency per tool call for each MCP revision, in one run: `echo` on server-everything over stdio
 * directly (the anchor), through the runner alone, and through Hangar's proxy + runner, with the v1 SDK client
 * (sessions, 2025-11-25) and the v2 SDK client (stateless 2026-07-28). Then the runner's options for its HTTP
 * face, each answering the same `tools/call` in-process (no stdio server): frame JSON-RPC itself (the
 * stateless path: node:http + classify), the v1 SDK transport, the v2 SDK handler (createMcpHandler).
 * Run: `npm run bench:revisions` (CALLS=1000 by default). The per-key rate limit is raised for the run.
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { McpServer as ModernServer, createMcpHandler } from '@modelcontextprotocol/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpServer as LegacyServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { loadConfig } from '../../api/config/config.ts';
import { composeHangar } from '../../api/compose.ts';
import { LocalMachineDriver } from '../../api/machines/local-driver.ts';
import { createLogger } from '../../api/platform/logger.ts';
import { classify } from '../../runner/stateless/classify.ts';
import { EVERYTHING, EVERYTHING_PACKAGE, EVERYTHING_VERSION } from '../../runner/test-support.ts';
import { connectLegacy, connectModern, ENVELOPE, modernHeaders } from '../../test/mcp-revisions.ts';
import { percentile } from '../lib/mcp-timing.ts';

const CALLS = Number(process.env.CALLS ?? 1000);
const WARMUP = 100;
setMaxListeners(0);

type Stats = { p50: number; p99: number };
async function time(call: (i: number) => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await call(i);
  const samples: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const start = performance.now();
    await call(i);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
const echo = (client: Client | ModernClient) => (i: number) => client.callTool({ name: 'echo', arguments: { message: `m${i}` } });

async function endToEnd(): Promise<Array<[string, Stats]>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-revisions-'));
  const config = loadConfig({ HANGAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', HANGAR_RATE_LIMIT_PER_MINUTE: '1000000', PORT: '0' });
  const driver = new LocalMachineDriver({ dataDir, logger: createLogger({ level: 'silent' }), healthIntervalMs: 1000, serverCommand: () => [process.execPath, EVERYTHING, 'stdio'], sandbox: false });
  const hangar = await composeHangar(config, { driver, reconciler: { intervalMs: 500, busyIntervalMs: 200 } });
  const server = serve({ fetch: hangar.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hangar.services.reconciler.start();
  try {
    const signup = await fetch(`${base}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'Bench-password-123!' }) });
    const { user, teamId } = (await signup.json()) as { user: { id: string }; teamId: string };
    await hangar.services.db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: new Date() } });
    const cookie = /hangar_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const keyRes = await fetch(`${base}/v1/me/keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, origin: config.publicUrl }, body: JSON.stringify({ name: 'bench', scopes: ['mcp', 'write', 'read'] }) });
    const { key } = (await keyRes.json()) as { key: string };
    const deployRes = await fetch(`${base}/v1/teams/${teamId}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: 'bench', package: `npm:${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION}`, args: ['stdio'] }),
    });
    const { id } = (await deployRes.json()) as { id: string };
    for (let state = ''; state !== 'running'; ) {
      await new Promise((r) => setTimeout(r, 200));
      state = ((await (await fetch(`${base}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { state: string }).state;
    }
    const dep = await hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    const runnerToken = hangar.services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
    const rows: Array<[string, Stats]> = [];
    const direct = new Client({ name: 'bench', version: '1.0.0' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
    rows.push(['stdio direct (anchor)', await time(echo(direct))]);
    await direct.close();
    for (const [label, url, token] of [['runner only', `${dep.privateAddress}/mcp`, runnerToken], ['proxy + runner', `${base}/v1/deployments/${id}/mcp`, key]] as const) {
      const { client } = await connectLegacy(url, token);
      rows.push([`${label}, v1 2025-11-25`, await time(echo(client))]);
      await client.close();
      const modern = await connectModern(url, token);
      rows.push([`${label}, v2 2026-07-28`, await time(echo(modern))]);
      await modern.close();
    }
    return rows;
  } finally {
    server.close();
    await hangar.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const CALL_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' }, _meta: ENVELOPE } });
const LEGACY_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } });
const echoResult = (message: string) => ({ content: [{ type: 'text' as const, text: `Echo: ${message}` }] });

/** One HTTP face answering `tools/call echo` in-process, timed with raw fetch. */
async function stack(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void, body: string, headers: Record<string, string>): Promise<Stats> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  try {
    return await time(async () => {
      const res = await fetch(url, { method: 'POST', headers, body });
      const text = await res.text();
      if (!text.includes('Echo: x')) throw new Error(`unexpected answer ${res.status}: ${text.slice(0, 200)}`);
    });
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

async function stacks(): Promise<Array<[string, Stats]>> {
  const headers = modernHeaders('unused', 'tools/call', 'echo');
  const selfFramed = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number; params: { arguments: { message: string } } };
      const classified = classify(req.headers, body);
      const text = JSON.stringify(classified.kind === 'modern' ? { jsonrpc: '2.0', id: body.id, result: { ...echoResult(body.params.arguments.message), resultType: 'complete' } } : { error: classified.kind });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
    });
  };
  const legacyServer = () => {
    const server = new LegacyServer({ name: 'bench', version: '1.0.0' });
    server.registerTool('echo', { inputSchema: { message: z.string() } }, async ({ message }) => echoResult(message));
    return server;
  };
  const v1 = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    // The v1 SDK's stateless idiom: a server and transport per request (JSON responses).
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const server = legacyServer();
    void server.connect(transport).then(() => transport.handleRequest(req, res));
    res.on('close', () => void transport.close());
  };
  const modern = createMcpHandler(() => {
    const server = new ModernServer({ name: 'bench', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool('echo', { inputSchema: z.object({ message: z.string() }) }, async ({ message }) => echoResult(message));
    return server;
  });
  const v2 = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = new Request('http://127.0.0.1/mcp', { method: 'POST', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) });
      void modern.fetch(request).then(async (answer) => {
        const text = await answer.text();
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
      });
    });
  };
  const legacyHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
  return [
    ['frame JSON-RPC itself (node:http + classify)', await stack(selfFramed, CALL_BODY, headers)],
    ['v1 SDK transport (stateless, JSON)', await stack(v1, LEGACY_BODY, legacyHeaders)],
    ['v2 SDK createMcpHandler (2026-07-28)', await stack(v2, CALL_BODY, headers)],
  ];
}

const fmt = (n: number) => n.toFixed(2).padStart(7);
const print = (title: string, rows: Array<[string, Stats]>) => {
  const anchor = rows[0]![1];
  console.log(`\n${title}`);
  console.log(`${'path'.padEnd(46)}    p50     p99   +p50    p50 ratio  p99 ratio`);
  for (const [name, r] of rows) console.log(`${name.padEnd(46)}${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.p50 - anchor.p50)}   ${(r.p50 / anchor.p50).toFixed(1).padStart(6)}x   ${(r.p99 / anchor.p99).toFixed(1).padStart(6)}x`);
};

try {
  console.log(`tools/call echo, ${CALLS} sequential calls after ${WARMUP} warm-up, ms (node ${process.version}, ${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION})`);
  print('end to end (ratios vs stdio direct)', await endToEnd());
  print('the runner’s HTTP face alone, in-process echo (ratios vs framing it ourselves)', await stacks());
} finally {
  process.exit(0);
}
