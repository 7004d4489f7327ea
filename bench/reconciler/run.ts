/**
 * Reconciler speed against the fake Fly Machines API with realistic latency (50 ms per call) and Fly's rate
 * limits on, over an embedded PostgreSQL holding 10,000 running deployments in 500 team apps:
 *  - time and Fly calls for one full pass (the real runReconcilerPass), with the default batch/concurrency
 *    (repeated passes until every due deployment was looked at, as the loop does) and with a bench setting,
 *  - time from a check going critical to the restart call, with the real loop, the configured K and interval.
 * Run: npm run bench:reconciler  (or npx tsx bench/reconciler/run.ts [--teams 500] [--per-team 20] [--latency 50])
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../api/db/embedded.ts';
import { migrate } from '../../api/db/migrate.ts';
import { createPrisma } from '../../api/db/pool.ts';
import { DEFAULT_RECONCILER_SETTINGS, type ReconcilerSettings } from '../../api/deployments/decide.ts';
import { createLaunchChecker } from '../../api/deployments/launch-check.ts';
import { countBacklog } from '../../api/deployments/lease.ts';
import { ReconcilerLoop } from '../../api/deployments/reconciler-loop.ts';
import { runReconcilerPass, type ReconcilerDeps } from '../../api/deployments/reconciler.ts';
import { FlyMachineDriver, tenantAppName, tenantNetwork } from '../../api/machines/fly-driver.ts';
import { FlyClient } from '../../api/machines/fly-client.ts';
import { buildMachineConfig, machineNameFor } from '../../api/machines/machine-config.ts';
import { systemClock } from '../../api/platform/clock.ts';
import { createLogger } from '../../api/platform/logger.ts';
import { FakeFlyServer } from '../../test/fake-fly/server.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TEAMS = arg('teams', 500);
const PER_TEAM = arg('per-team', 20);
const LATENCY_MS = arg('latency', 50);
const IMAGE = `registry.fly.io/hangar-runner@sha256:${'ab'.repeat(32)}`;
const TOKEN = 'fo1_bench-token-0123456789';
const pad = (n: number): string => n.toString(16).padStart(6, '0');

async function seed(db: ReturnType<typeof createPrisma>, fly: FakeFlyServer): Promise<void> {
  const options = { runnerImage: IMAGE, hangarVersion: '0.1.0' };
  const longAgo = new Date(Date.now() - 3_600_000);
  const teams = [];
  const rows = [];
  for (let t = 0; t < TEAMS; t += 1) {
    const teamId = `team_bench${pad(t)}`;
    const appName = tenantAppName('hangar', teamId);
    const app = fly.world.createApp(appName, fly.orgSlug, tenantNetwork(appName), undefined);
    teams.push({ id: teamId, slug: `bench-${pad(t)}`, name: `Bench ${t}`, flyAppName: appName, flyNetwork: app.network });
    for (let d = 0; d < PER_TEAM; d += 1) {
      const id = `dep_bench${pad(t)}${pad(d)}`;
      const plan = {
        deploymentId: id, teamId, generation: 1, machineName: machineNameFor(id), region: 'iad', runtime: 'npm' as const,
        packageRef: '@acme/mcp-tools@1.1.0', args: [], env: {}, secretNames: ['HANGAR_RUNNER_TOKEN'],
        guest: { cpuKind: 'shared' as const, cpus: 1, memoryMb: 256 }, minSecretsVersion: undefined,
      };
      const machine = fly.world.createMachine(app, { name: plan.machineName, region: 'iad', config: buildMachineConfig(plan, options) });
      rows.push({
        id, teamId, name: `d${d}`, runtime: 'npm' as const, packageName: '@acme/mcp-tools', packageVersion: '1.1.0', requestedSpec: 'npm:@acme/mcp-tools@1.1.0',
        launchSpec: { args: [], env: {}, secrets: {} }, region: 'iad', size: 'shared-cpu-1x', runnerTokenCipher: 'unused-in-steady-state', runnerTokenKeyId: 'k0',
        state: 'running' as const, stateChangedAt: longAgo, appliedGeneration: 1, flyAppName: appName, machineId: machine.id, nextReconcileAt: longAgo,
      });
    }
  }
  await db.team.createMany({ data: teams });
  for (let i = 0; i < rows.length; i += 2_000) await db.deployment.createMany({ data: rows.slice(i, i + 2_000) });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-reconciler-'));
  const server = await startEmbeddedPostgres({ dataDir, database: 'bench' });
  const pool = new pg.Pool({ connectionString: server.url('bench'), max: 20 });
  pool.on('error', () => undefined);
  const db = createPrisma(pool);
  const fly = await FakeFlyServer.start({ token: TOKEN, transitionMs: 1, faults: { latencyMs: LATENCY_MS }, rateLimits: true });
  const logger = createLogger({ level: 'silent' });
  const client = new FlyClient({ baseUrl: fly.url, token: TOKEN, orgSlug: fly.orgSlug, logger });
  const driver = new FlyMachineDriver({ client, logger, appPrefix: 'hangar', runnerImage: IMAGE, hangarVersion: '0.1.0' });
  const deps = (settings: Partial<ReconcilerSettings>, holder: string): ReconcilerDeps => ({
    db, pool, clock: systemClock, logger, driver, launchChecker: createLaunchChecker(),
    // Steady running deployments never launch; a launch here would be a reconciler bug worth seeing.
    launchSecrets: { resolve: () => Promise.reject(new Error('the bench seeds running deployments: no launch expected')) },
    settings: { ...DEFAULT_RECONCILER_SETTINGS, ...settings },
    holder,
  });
  try {
    await migrate(pool);
    const seeded = performance.now();
    await seed(db, fly);
    await new Promise((resolve) => setTimeout(resolve, 200));
    console.log(`reconciler benchmark (${new Date().toISOString()}, Node ${process.version})`);
    console.log(`seeded ${TEAMS * PER_TEAM} running deployments in ${TEAMS} team apps in ${((performance.now() - seeded) / 1000).toFixed(1)} s; fake Fly latency ${LATENCY_MS} ms/call, Fly rate limits on`);

    for (const [label, settings] of [
      ['defaults (batchSize 200, teamConcurrency 16)', {}],
      ['bench (batchSize 10000, teamConcurrency 128)', { batchSize: 10_000, teamConcurrency: 128 }],
    ] as const) {
      await pool.query(`UPDATE deployments SET next_reconcile_at = now() - interval '1 hour'`);
      fly.resetCounts();
      const started = performance.now();
      let passes = 0;
      let claimed = 0;
      let errors = 0;
      const moves: Record<string, number> = {};
      for (;;) {
        const result = await runReconcilerPass(deps(settings, `bench-${passes}`));
        passes += 1;
        claimed += result.claimed;
        errors += result.errors;
        for (const [move, n] of Object.entries(result.moves)) moves[move] = (moves[move] ?? 0) + n;
        if (result.claimed === 0 || claimed >= TEAMS * PER_TEAM) break;
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(`full pass, ${label}: ${seconds.toFixed(2)} s over ${passes} claim(s); ${claimed} deployments (${(claimed / seconds).toFixed(0)}/s), errors ${errors}, moves ${JSON.stringify(moves)}`);
      console.log(`  Fly calls: ${fly.totalCalls()} (${JSON.stringify(fly.callCounts())}), 429s from the fake: ${fly.rateLimited}`);
    }

    // Critical check -> restart call, with the real loop and the configured K and interval.
    const settings = { batchSize: 10_000, teamConcurrency: 128 };
    const loopDeps = deps(settings, 'bench-loop');
    const { intervalMs, healthFailureThreshold: K } = loopDeps.settings;
    await pool.query(`UPDATE deployments SET next_reconcile_at = now()`);
    const loop = new ReconcilerLoop(loopDeps, logger);
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const target = await db.deployment.findFirstOrThrow({ where: { id: `dep_bench${pad(0)}${pad(0)}` } });
    const restartKey = 'POST /v1/apps/{app_name}/machines/{machine_id}/restart';
    fly.resetCounts();
    const critical = performance.now();
    fly.setCheck(target.flyAppName!, target.machineId!, 'critical');
    const deadline = critical + (K + 3) * intervalMs + 60_000;
    while (fly.callCount(restartKey) === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const toRestart = performance.now() - critical;
    const backlog = await countBacklog(pool, new Date());
    await loop.stop();
    console.log(
      fly.callCount(restartKey) > 0
        ? `critical check -> restart call: ${(toRestart / 1000).toFixed(2)} s (K=${K}, interval ${intervalMs / 1000} s, bound (K+1) intervals = ${((K + 1) * intervalMs) / 1000} s; last pass ${loop.lastPass?.durationMs.toFixed(0)} ms, backlog ${backlog})`
        : `critical check -> restart call: no restart within ${(toRestart / 1000).toFixed(1)} s (K=${K}, interval ${intervalMs / 1000} s)`,
    );
  } finally {
    await fly.close();
    await db.$disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
