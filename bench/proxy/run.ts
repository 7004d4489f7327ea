/**
 * What Hangar's MCP proxy costs: `echo` on server-everything called (1) directly over stdio, (2) through the
 * runner alone, and (3) through Hangar's proxy + the runner (authentication, rate limit, deployment lookup,
 * runner-token decryption, streaming forward), sequential calls, p50/p99; then proxy throughput (calls/s)
 * at several concurrencies. A real Hangar (embedded PostgreSQL, local driver, reconciler) on 127.0.0.1.
 * Run: `npm run bench:proxy` (CALLS=2000 by default). The per-key rate limit is raised for the run.
 */
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { echoThroughput, timeEchoCalls } from '../lib/mcp-timing.ts';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfig } from '../../api/config/config.ts';
import { composeHangar } from '../../api/compose.ts';
import { LocalMachineDriver } from '../../api/machines/local-driver.ts';
import { defaultRunnerCommand } from '../../runner/runner-process.ts';
import { createLogger } from '../../api/platform/logger.ts';
import { EVERYTHING, EVERYTHING_PACKAGE, EVERYTHING_VERSION } from '../../runner/test-support.ts';

const CALLS = Number(process.env.CALLS ?? 2000);
const WARMUP = 100;
const PACKAGE = EVERYTHING_PACKAGE;
const VERSION = EVERYTHING_VERSION;

setMaxListeners(0); // the SDK's HTTP client leaves an abort listener per call on a shared signal

const timeCalls = (client: Client) => timeEchoCalls(client, CALLS, WARMUP);
const throughput = (client: Client, concurrency: number) => echoThroughput(client, CALLS, concurrency);

async function httpClient(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-proxy-'));
const config = loadConfig({ HANGAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', HANGAR_RATE_LIMIT_PER_MINUTE: '1000000', HANGAR_RATE_LIMIT_STORE: process.env.RATE_LIMIT_STORE ?? 'postgres', PORT: '0' });
// RUNNER_PROFILE_DIR=dir: the runner writes a --cpu-prof profile there when it stops.
const runnerProfile = process.env.RUNNER_PROFILE_DIR;
const runnerCommand = runnerProfile ? (([node, ...rest]) => [node!, '--cpu-prof', `--cpu-prof-dir=${runnerProfile}`, ...rest])(defaultRunnerCommand()) : undefined;
const driver = new LocalMachineDriver({ dataDir, logger: createLogger({ level: 'silent' }), healthIntervalMs: 1000, ...(runnerCommand ? { runnerCommand } : {}), serverCommand: () => [process.execPath, EVERYTHING, 'stdio'], sandbox: false }); // the fixture is in node_modules, which no sandbox sees
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
    body: JSON.stringify({ name: 'bench', package: `npm:${PACKAGE}@${VERSION}`, args: ['stdio'] }),
  });
  const { id } = (await deployRes.json()) as { id: string };
  for (let state = ''; state !== 'running'; ) {
    await new Promise((r) => setTimeout(r, 200));
    state = ((await (await fetch(`${base}/v1/deployments/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { state: string }).state;
  }
  const dep = await hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
  const runnerToken = hangar.services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });

  const direct = new Client({ name: 'bench', version: '1.0.0' });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  const rows: Array<[string, { p50: number; p99: number }]> = [['stdio direct', await timeCalls(direct)]];
  await direct.close();

  const runnerOnly = await httpClient(`${dep.privateAddress}/mcp`, runnerToken);
  rows.push(['runner only', await timeCalls(runnerOnly)]);
  await runnerOnly.close();

  const proxied = await httpClient(`${base}/v1/deployments/${id}/mcp`, key);
  // PROFILE_OUT=file: a CPU profile of this process (client + Hangar) during the proxied calls only.
  const inspector = process.env.PROFILE_OUT ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  rows.push(['hangar proxy + runner', await timeCalls(proxied)]);
  if (inspector) writeFileSync(process.env.PROFILE_OUT!, JSON.stringify((await inspector.post('Profiler.stop')).profile));
  const rates: Array<[number, number]> = [];
  for (const concurrency of [1, 8, 32]) rates.push([concurrency, await throughput(proxied, concurrency)]);
  await proxied.close();

  const fmt = (n: number) => n.toFixed(2).padStart(7);
  const d = rows[0]![1];
  console.log(`tools/call echo, ${CALLS} sequential calls after ${WARMUP} warm-up, ms (node ${process.version}, ${PACKAGE}@${VERSION})`);
  console.log('path                      p50     p99   +p50 vs stdio  +p99 vs stdio');
  for (const [name, r] of rows) console.log(`${name.padEnd(22)}${fmt(r.p50)} ${fmt(r.p99)}   ${fmt(r.p50 - d.p50)}        ${fmt(r.p99 - d.p99)}`);
  console.log(`proxy throughput: ${rates.map(([c, r]) => `concurrency ${c}: ${r.toFixed(0)} calls/s`).join(', ')}`);
} finally {
  server.close();
  await hangar.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}
