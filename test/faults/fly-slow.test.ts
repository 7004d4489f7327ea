import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestResolver } from '../../api/launch-spec/test-resolver.ts';
import { FlyClient } from '../../api/machines/fly-client.ts';
import { FlyMachineDriver } from '../../api/machines/fly-driver.ts';
import { tenantAppName } from '../../api/machines/fly-driver.ts';
import { FakeNpmRegistry } from '../../api/packages/fakes/fake-npm-registry.ts';
import type { ManualClock } from '../../api/platform/clock.ts';
import { createLogger } from '../../api/platform/logger.ts';
import { jsonInit, signUpUser, type TestUser } from '../accounts.ts';
import { FAST_RECONCILER, TEST_PACKAGE } from '../deployments-harness.ts';
import { FakeFlyServer } from '../fake-fly/server.ts';
import { TEST_IMAGE, TEST_TOKEN } from '../fake-fly/harness.ts';
import { createTestHangar, type TestHangar } from '../hangar.ts';

/**
 * What api/deployments/reconciler-*.test.ts do not cover: a Fly API slower than the client's timeout (every
 * call times out, and Fly still carries it out afterwards), and a Fly API that hangs while the REST API, the
 * MCP proxy and readiness keep answering. The client here times out after 1.2 s and tries twice.
 */
const TIMEOUT_MS = 1_200;
const CREATE = 'POST /v1/apps/{app_name}/machines';
let fly: FakeFlyServer;
let npm: FakeNpmRegistry;
let hangar: TestHangar;
let clock: ManualClock;
let user: TestUser;
let runner: Server;
let runnerUrl: string;

beforeAll(async () => {
  fly = await FakeFlyServer.start({ token: TEST_TOKEN, transitionMs: 2 });
  npm = await FakeNpmRegistry.start();
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  npm.publish(TEST_PACKAGE, [{ version: '1.0.0', publishedAt: old }]);
  const logger = createLogger({ level: 'silent' });
  const client = new FlyClient({ baseUrl: fly.url, token: TEST_TOKEN, orgSlug: fly.orgSlug, logger, timeoutMs: TIMEOUT_MS, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
  const driver = new FlyMachineDriver({ client, logger, appPrefix: 'hangar', runnerImage: TEST_IMAGE, hangarVersion: '0.1.0', restartWaitSeconds: 5 });
  hangar = await createTestHangar({
    env: { NPM_REGISTRY_URL: npm.url, HANGAR_RATE_LIMIT_PER_MINUTE: '100000' },
    driver,
    reconciler: FAST_RECONCILER,
    resolveHost: createTestResolver(),
  });
  clock = hangar.clock as ManualClock;
  user = await signUpUser(hangar, { verified: true });
  // A stand-in runner (the fake Fly has no machine behind its addresses) answering MCP JSON-RPC over HTTP.
  runner = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const message = JSON.parse(body || '{}') as { id?: number };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id ?? null, result: {} }));
    });
  });
  await new Promise<void>((r) => runner.listen(0, '127.0.0.1', r));
  runnerUrl = `http://127.0.0.1:${(runner.address() as AddressInfo).port}`;
});
afterAll(async () => {
  runner?.closeAllConnections();
  await new Promise((r) => runner?.close(r));
  await hangar?.dispose();
  await fly?.close();
  await npm?.server.close();
});

async function deploy(name: string): Promise<string> {
  const res = await hangar.request(`/v1/teams/${user.team.id}/deployments`, jsonInit('POST', user.keyHeaders, { name, package: `npm:${TEST_PACKAGE}` }));
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function states(ids: string[]): Promise<string[]> {
  const rows = await hangar.services.db.deployment.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } });
  return rows.map((r) => r.state);
}

async function pass(): Promise<{ errors: number; moves: Record<string, number> }> {
  clock.advance(FAST_RECONCILER.intervalMs!);
  const result = await hangar.services.reconciler.passOnce();
  await new Promise((r) => setTimeout(r, 10));
  return result;
}

async function settleRunning(ids: string[], maxPasses = 40): Promise<void> {
  for (let i = 0; i < maxPasses && (await states(ids)).some((s) => s !== 'running'); i += 1) await pass();
  expect(await states(ids)).toEqual(ids.map(() => 'running'));
}

/** Live machines per deployment in the team's fake Fly app. */
function machinesPerDeployment(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of fly.machines(tenantAppName('hangar', user.team.id))) {
    if (m.state === 'destroyed' || m.state === 'destroying') continue;
    const dep = m.config.metadata?.hangar_deployment ?? '';
    counts.set(dep, (counts.get(dep) ?? 0) + 1);
  }
  return counts;
}

describe('Fly slower than the client timeout', () => {
  it('keeps every deployment as it was, then converges with exactly one machine each', async () => {
    const steady = await deploy('steady');
    await settleRunning([steady]);
    // Every answer now comes after the client has given up, but Fly still carries the call out.
    fly.setFaults({ latencyMs: TIMEOUT_MS + 600 });
    const fresh = [await deploy('slow-1'), await deploy('slow-2')];
    for (let i = 0; i < 3; i += 1) {
      const result = await pass();
      expect([result.moves, result.errors]).toEqual([{}, 3]);
    }
    expect(await states([steady])).toEqual(['running']);
    const rows = await hangar.services.db.deployment.findMany({ where: { id: { in: fresh } } });
    expect(rows.map((r) => [r.state, r.machineId])).toEqual([['pending', null], ['pending', null]]);
    const errors = await hangar.services.db.deploymentEvent.findMany({ where: { deploymentId: steady, type: 'driver_error' } });
    expect(errors.map((e) => e.reason)).toEqual(['machine platform error (transient); retrying']);
    expect(fly.callCount(CREATE)).toBe(1);

    fly.setFaults({});
    const creates = fly.callCount(CREATE);
    await settleRunning([steady, ...fresh]);
    expect(fly.callCount(CREATE)).toBe(creates + 2);
    const counts = machinesPerDeployment();
    expect([...counts.keys()].sort()).toEqual([steady, ...fresh].sort());
    expect([...counts.values()]).toEqual([1, 1, 1]);
    const after = await hangar.services.db.deployment.findMany({ where: { id: { in: [steady, ...fresh] } } });
    expect(after.map((r) => r.attempts)).toEqual([0, 0, 0]);
    expect(fly.violations).toEqual([]);
  }, 60_000);
});

describe('Fly hanging', () => {
  it('the REST API, the MCP proxy and readiness answer while a reconciler pass is stuck on Fly', async () => {
    const served = await deploy('served');
    await settleRunning([served]);
    const dep = await hangar.services.db.deployment.findUniqueOrThrow({ where: { id: served } });
    await hangar.services.db.deployment.update({ where: { id: served }, data: { privateAddress: runnerUrl } });
    const waiting = await deploy('waiting');

    fly.setFaults({ hangRate: 1 });
    clock.advance(FAST_RECONCILER.intervalMs!);
    let passDone = false;
    const stuck = hangar.services.reconciler.passOnce().finally(() => (passDone = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(fly.totalCalls()).toBeGreaterThan(0);

    const answers: Array<[string, number]> = [];
    const call = async (what: string, path: string, init: RequestInit = { headers: user.keyHeaders }) => {
      const res = await hangar.request(path, init);
      await res.text();
      answers.push([what, res.status]);
    };
    await call('list', `/v1/teams/${user.team.id}/deployments`);
    await call('get', `/v1/deployments/${served}`);
    await call('events', `/v1/deployments/${waiting}/events`);
    await call('me', '/v1/me');
    await call('readyz', '/readyz', {});
    await call('mcp', `/v1/deployments/${served}/mcp`, jsonInit('POST', { ...user.keyHeaders, accept: 'application/json, text/event-stream' }, { jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    await call('deploy', `/v1/teams/${user.team.id}/deployments`, jsonInit('POST', user.keyHeaders, { name: 'during-hang', package: `npm:${TEST_PACKAGE}` }));
    await call('stop', `/v1/deployments/${waiting}/stop`, { method: 'POST', headers: user.keyHeaders });
    // Every call was answered before the pass got its answers from Fly (it is still waiting for its timeouts).
    expect(passDone).toBe(false);
    expect(answers).toEqual([['list', 200], ['get', 200], ['events', 200], ['me', 200], ['readyz', 200], ['mcp', 200], ['deploy', 202], ['stop', 202]]);

    const result = await stuck;
    expect(result.moves).toEqual({});
    expect(result.errors).toBeGreaterThan(0);
    expect((await hangar.services.db.deployment.findUniqueOrThrow({ where: { id: served } })).state).toBe('running');

    fly.setFaults({});
    const all = (await hangar.services.db.deployment.findMany({ where: { teamId: user.team.id } })).map((r) => r.id);
    for (let i = 0; i < 40; i += 1) {
      const rows = await hangar.services.db.deployment.findMany({ where: { id: { in: all } } });
      if (rows.every((r) => r.state === r.desiredState)) break;
      await pass();
    }
    const rows = await hangar.services.db.deployment.findMany({ where: { id: { in: all } } });
    expect(rows.filter((r) => r.state !== r.desiredState).map((r) => [r.name, r.state, r.desiredState])).toEqual([]);
    expect(rows.find((r) => r.id === waiting)?.state).toBe('stopped');
    expect(rows.find((r) => r.id === served)?.machineId).toBe(dep.machineId);
    expect([...machinesPerDeployment().values()].every((n) => n === 1)).toBe(true);
    expect(fly.violations).toEqual([]);
  }, 60_000);
});
