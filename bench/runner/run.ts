/**
 * The latency the runner adds to one MCP tool call: `echo` on server-everything called directly over
 * stdio (official SDK client) versus through the runner over Streamable HTTP on 127.0.0.1 (SSE and JSON
 * response modes), sequential calls, p50/p99; then calls/s through the runner at a concurrency of 8.
 * Run: `npm run bench:runner` (CALLS=2000 by default).
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { echoThroughput, timeEchoCalls } from '../lib/mcp-timing.ts';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { RunnerProcess } from '../../runner/runner-process.ts';
import { EVERYTHING } from '../../runner/test-support.ts';

const CALLS = Number(process.env.CALLS ?? 2000);
const WARMUP = 100;
const TOKEN = 'bench-runner-token-0123456789abcdef';

const timeCalls = (client: Client) => timeEchoCalls(client, CALLS, WARMUP);
const throughput = (client: Client, concurrency: number) => echoThroughput(client, CALLS, concurrency);

async function viaRunner(extraArgs: string[]): Promise<{ runner: RunnerProcess; client: Client }> {
  const cwd = mkdtempSync(join(tmpdir(), 'hangar-bench-runner-'));
  const runner = new RunnerProcess({
    runnerArgs: extraArgs,
    serverCommand: [process.execPath, EVERYTHING, 'stdio'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HANGAR_RUNNER_TOKEN: TOKEN, HANGAR_RUNNER_LOG_LEVEL: 'warn' },
    cwd,
  });
  void runner.exited.then(() => rmSync(cwd, { recursive: true, force: true }));
  const port = await runner.listening;
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return { runner, client };
}

// The SDK's HTTP client leaves an abort listener per SSE call on its shared signal (a client-side
// leak, not the runner's); lift the limit so thousands of calls do not print warnings.
setMaxListeners(0);

const fmt = (n: number) => n.toFixed(3).padStart(8);
const rows: Array<[string, { p50: number; p99: number; mean: number }]> = [];

const direct = new Client({ name: 'bench', version: '1.0.0' });
await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
rows.push(['stdio direct', await timeCalls(direct)]);
const directRate = await throughput(direct, 8);
await direct.close();

const sse = await viaRunner([]);
rows.push(['runner (SSE responses)', await timeCalls(sse.client)]);
const runnerRate = await throughput(sse.client, 8);
await sse.client.close();
await sse.runner.stop(5000);

const json = await viaRunner(['--json-response']);
rows.push(['runner (JSON responses)', await timeCalls(json.client)]);
await json.client.close();
await json.runner.stop(5000);

const base = rows[0]?.[1];
console.log(`tools/call echo, ${CALLS} sequential calls after ${WARMUP} warm-up, ms (node ${process.version})`);
console.log('path                        p50      p99     mean   +p50 vs direct  +p99 vs direct');
for (const [name, r] of rows) {
  console.log(`${name.padEnd(24)}${fmt(r.p50)} ${fmt(r.p99)} ${fmt(r.mean)} ${fmt(r.p50 - (base?.p50 ?? 0))}        ${fmt(r.p99 - (base?.p99 ?? 0))}`);
}
console.log(`throughput, concurrency 8: direct ${directRate.toFixed(0)} calls/s, through runner (SSE) ${runnerRate.toFixed(0)} calls/s`);
