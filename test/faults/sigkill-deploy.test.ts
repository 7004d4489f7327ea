import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNpmRegistry } from '../../api/packages/fakes/fake-npm-registry.ts';
import { generateFernetKey } from '../../api/vault/fernet.ts';
import { TEST_PACKAGE } from '../deployments-harness.ts';
import { TEST_IMAGE, TEST_TOKEN } from '../fake-fly/harness.ts';
import { FakeFlyServer } from '../fake-fly/server.ts';
import { startDedicatedPostgres, type DedicatedPostgres } from './dedicated-postgres.ts';
import { startHangarProcess, type HangarProcess } from './hangar-process.ts';
import { jsonRequest, signUpOverHttp, type HttpUser } from './http-user.ts';
import { waitFor } from './traffic.ts';

/**
 * A real Hangar process launching deployments on the fake Fly is killed with SIGKILL at a random point
 * (after a random number of machine creates reached Fly); a new process on the same database takes over:
 * every acknowledged deployment converges to running with exactly one machine, and no row or event is lost.
 * `npm run test:soak` sets FAULT_ROUNDS for more kill/restart cycles.
 */
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 1);
const PER_ROUND = 8;
const ORIGIN = 'http://localhost:8080';
const CREATE = 'POST /v1/apps/{app_name}/machines';

let db: DedicatedPostgres;
let fly: FakeFlyServer;
let npm: FakeNpmRegistry;
let pool: pg.Pool;
let dataDir: string;
let env: Record<string, string>;
const processes: HangarProcess[] = [];

beforeAll(async () => {
  db = await startDedicatedPostgres();
  // A little latency on every Fly call, so launches are spread out and the kill lands among them.
  fly = await FakeFlyServer.start({ token: TEST_TOKEN, transitionMs: 5, faults: { latencyMs: 15 } });
  npm = await FakeNpmRegistry.start();
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  npm.publish(TEST_PACKAGE, [{ version: '1.0.0', publishedAt: old }]);
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // The database is stopped at the end while a connection may still be closing: never an unhandled error.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  dataDir = mkdtempSync(join(tmpdir(), 'hangar-fault-c-'));
  env = {
    DATABASE_URL: db.url,
    FERNET_KEYS: generateFernetKey(),
    HANGAR_DATA_DIR: dataDir,
    HANGAR_PUBLIC_URL: ORIGIN,
    HANGAR_INSTANCE_ID: 'fault-c',
    LOG_LEVEL: 'info',
    FLY_API_TOKEN: TEST_TOKEN,
    FLY_ORG: fly.orgSlug,
    FLY_API_BASE_URL: fly.url,
    HANGAR_RUNNER_IMAGE: TEST_IMAGE,
    NPM_REGISTRY_URL: npm.url,
    HANGAR_RECONCILE_INTERVAL_MS: '200',
    HANGAR_DEPLOYMENT_QUOTA: '100',
    HANGAR_RATE_LIMIT_PER_MINUTE: '1000000',
  };
});
afterAll(async () => {
  for (const p of processes) await p.kill('SIGKILL');
  await pool?.end();
  await fly?.close();
  await npm?.server.close();
  await db?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Live machines in the fake, per deployment named in their metadata. */
function machinesPerDeployment(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const app of fly.world.apps.values()) {
    for (const m of app.machines.values()) {
      if (m.state === 'destroyed' || m.state === 'destroying') continue;
      const dep = m.config.metadata?.hangar_deployment ?? '';
      counts.set(dep, (counts.get(dep) ?? 0) + 1);
    }
  }
  return counts;
}

async function snapshot(): Promise<{ deployments: Map<string, string>; events: Set<string> }> {
  const deployments = await pool.query<{ id: string; state: string }>('SELECT id, state FROM deployments');
  const events = await pool.query<{ id: string }>('SELECT id::text FROM deployment_events');
  return { deployments: new Map(deployments.rows.map((r) => [r.id, r.state])), events: new Set(events.rows.map((r) => r.id)) };
}

describe('the API process killed with SIGKILL mid-deploy', () => {
  it(`a new process finishes every launch: one machine per deployment, no row or event lost (${ROUNDS} round(s))`, async () => {
    let hangar = await startHangarProcess(env);
    processes.push(hangar);
    const users: HttpUser[] = [await signUpOverHttp(hangar.url, ORIGIN, pool), await signUpOverHttp(hangar.url, ORIGIN, pool)];
    const acknowledged: string[] = [];
    const owners = new Map<string, HttpUser>();

    for (let round = 0; round < ROUNDS; round += 1) {
      const base = hangar.url;
      // Kill once a random number of this round's machine creates have reached Fly (at least one, not all).
      const killAfter = fly.callCount(CREATE) + randomInt(1, PER_ROUND);
      const label = `round ${round}: SIGKILL after create #${killAfter}`;
      const killed = waitFor('machine creates at Fly', async () => fly.callCount(CREATE) >= killAfter, 30_000).then(() => hangar.kill('SIGKILL'));
      for (let i = 0; i < PER_ROUND && hangar.alive(); i += 1) {
        const user = users[i % users.length]!;
        const res = await fetch(`${base}/v1/teams/${user.teamId}/deployments`, jsonRequest('POST', user.headers, { name: `kill-${round}-${i}`, package: `npm:${TEST_PACKAGE}` })).catch(() => undefined);
        if (res?.status === 202) {
          const { id } = (await res.json()) as { id: string };
          acknowledged.push(id);
          owners.set(id, user);
        }
        else if (res) expect.fail(`${label}: create answered ${res.status} ${await res.text()}`);
      }
      expect(await killed, label).toBeNull();
      const before = await snapshot();
      const states: Record<string, number> = {};
      for (const state of before.deployments.values()) states[state] = (states[state] ?? 0) + 1;
      process.stdout.write(`${label}: ${acknowledged.length} acknowledged, states at the kill ${JSON.stringify(states)}\n`);

      hangar = await startHangarProcess(env);
      processes.push(hangar);
      const converged = async () => {
        const now = await snapshot();
        return [...now.deployments.values()].every((state) => state === 'running');
      };
      await waitFor(`${label}: every deployment running`, converged, 40_000);

      const after = await snapshot();
      expect(acknowledged.filter((id) => !after.deployments.has(id)), `${label}: acknowledged deployments lost`).toEqual([]);
      expect([...before.deployments.keys()].filter((id) => !after.deployments.has(id)), `${label}: rows lost`).toEqual([]);
      expect([...before.events].filter((id) => !after.events.has(id)), `${label}: events lost`).toEqual([]);
      const machines = machinesPerDeployment();
      expect([...machines.keys()].sort(), `${label}: machines`).toEqual([...after.deployments.keys()].sort());
      expect([...machines.entries()].filter(([, n]) => n !== 1), `${label}: duplicate machines`).toEqual([]);
    }

    // The surviving process serves the result through the API.
    for (const id of acknowledged) {
      const res = await fetch(`${hangar.url}/v1/deployments/${id}`, { headers: owners.get(id)!.headers });
      expect([id, res.status, ((await res.json()) as { state: string }).state]).toEqual([id, 200, 'running']);
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(ROUNDS);
    expect(fly.violations).toEqual([]);
    expect(hangar.output()).not.toContain('"unhandled error"');
  }, 60_000 + ROUNDS * 45_000);
});
