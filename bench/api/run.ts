/**
 * `npm run bench:api`: HTTP throughput of Hangar's hot paths against a bare Hono anchor, measured in the
 * same run so every line carries its own ratio. Starts the anchor (bench/api/anchor.ts) and a real Hangar
 * (bench/api/hangar-server.ts: embedded PostgreSQL, rate limiting on with a raised limit) as child
 * processes, then runs wrk (1 thread, CONNECTIONS=50, DURATION=8 s) against `GET /healthz` and
 * `GET /v1/me` (API key) on each, and prints req/s, p50/p99 and the ratio to the anchor.
 * PROFILE_OUT=file writes a CPU profile of the Hangar process's serving phase (summarise it with
 * bench/api/profile-summary.ts); ONLY=healthz or ONLY=me runs one path.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const DURATION = Number(process.env.DURATION ?? 8);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface WrkResult { rps: number; p50: number; p99: number; non2xx: number; errors: number }

/** First JSON line a child writes on `stream`. */
function firstLine(stream: Readable): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    lines.once('line', (line) => { lines.close(); resolve(JSON.parse(line) as Record<string, unknown>); });
    stream.once('end', () => reject(new Error('child exited before it was ready')));
  });
}

function start(file: string, extraArgs: string[], readyFd: 1 | 3): { child: ChildProcess; ready: Promise<Record<string, unknown>> } {
  const stdio: Array<'ignore' | 'pipe' | 'inherit'> = readyFd === 3 ? ['ignore', 'ignore', 'inherit', 'pipe'] : ['ignore', 'pipe', 'inherit'];
  const child = spawn(process.execPath, [...extraArgs, '--import', 'tsx', here(file)], { stdio, env: process.env });
  const stream = child.stdio[readyFd] as Readable;
  return { child, ready: firstLine(stream) };
}

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/** One wrk run (1 thread) and its req/s, latency percentiles and failures. */
function wrk(url: string, headers: Record<string, string> = {}): WrkResult {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}s`, '--latency', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const out = spawnSync('wrk', args, { encoding: 'utf8' }).stdout;
  const pct = (p: string) => { const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out); return m ? ms(m[1]!, m[2]!) : Number.NaN; };
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50: pct('50'),
    p99: pct('99'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

const anchor = start('anchor.ts', [], 1);
const hangar = start('hangar-server.ts', [], 3);
try {
  const a = (await anchor.ready) as { port: number };
  const h = (await hangar.ready) as { port: number; key: string };
  const auth = { authorization: `Bearer ${h.key}` };
  const targets: Array<[string, string, Record<string, string>]> = [['GET /healthz', '/healthz', {}], ['GET /v1/me (API key)', '/v1/me', auth]];
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}s, node ${process.version}, ${new Date().toISOString()}`);
  console.log('path                    | anchor req/s | hangar req/s | ratio  | hangar p50 ms | hangar p99 ms | non-2xx | socket errors');
  const only = process.env.ONLY;
  if (only) targets.splice(0, targets.length, ...targets.filter(([name]) => name.includes(only)));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, path, headers] of targets) {
      const base = wrk(`http://127.0.0.1:${a.port}${path}`);
      const mine = wrk(`http://127.0.0.1:${h.port}${path}`, headers);
      console.log(`${name.padEnd(23)} | ${fmt(base.rps).padStart(12)} | ${fmt(mine.rps).padStart(12)} | ${fmt((100 * mine.rps) / base.rps, 1).padStart(5)}% | ${fmt(mine.p50, 2).padStart(13)} | ${fmt(mine.p99, 2).padStart(13)} | ${String(mine.non2xx).padStart(7)} | ${mine.errors}`);
    }
  }
} finally {
  anchor.child.kill('SIGTERM');
  hangar.child.kill('SIGTERM');
  await new Promise((r) => hangar.child.once('exit', r));
}
