import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';

let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld({ reconciler: { crashLoopMaxRestarts: 3, crashLoopWindowMs: 600_000 } });
});
afterAll(async () => {
  await world.close();
});

interface Body {
  id: string;
  state: string;
  stateReason: string | null;
  restartCount: number;
  lastExitCode: number | null;
}

async function read(id: string): Promise<Body> {
  const res = await world.hangar.request(`/v1/deployments/${id}`, { headers: world.owner.keyHeaders });
  expect(res.status).toBe(200);
  return (await res.json()) as Body;
}

const START = 'POST /v1/apps/{app_name}/machines/{machine_id}/start';
const RESTART = 'POST /v1/apps/{app_name}/machines/{machine_id}/restart';
const STOP = 'POST /v1/apps/{app_name}/machines/{machine_id}/stop';

describe('a machine in a crash loop', () => {
  let id: string;
  let app: string;
  let machineId: string;

  it('ends failed with a crash-loop reason, its exit recorded, and the machine stopped', async () => {
    const res = await world.deploy(world.owner, { name: 'crashy', package: `npm:${TEST_PACKAGE}@1.1.0` });
    expect(res.status).toBe(202);
    id = ((await res.json()) as Body).id;
    await world.settle(async () => (await read(id)).state === 'running');
    app = world.appOf(world.owner.team.id);
    machineId = world.fly.machines(app)[0]!.id;

    // Every boot now dies of OOM a few milliseconds in; Fly's own on-failure retries run out first.
    world.fly.setBehavior(app, machineId, { crashAfterStartMs: 3, exitCode: 137, oomKilled: true });
    world.fly.crash(app, machineId, { exitCode: 137, oomKilled: true });
    world.fly.resetCounts();
    await world.settle(async () => (await read(id)).state === 'failed', 80);

    const dep = await read(id);
    expect(dep.stateReason).toMatch(/^crash loop: 3 restarts within 600s \(last: machine stopped \(exit code 137, out of memory\)\)$/);
    expect(dep.lastExitCode).toBe(137);
    const row = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(row.lastOomKilled).toBe(true);
    // Hangar started it exactly N times before giving up (each start crashed again).
    expect(world.fly.callCount(START)).toBe(3);
    expect(world.fly.callCount(RESTART)).toBe(0);

    const events = await world.hangar.request(`/v1/deployments/${id}/events?limit=100`, { headers: world.owner.keyHeaders });
    expect(events.status).toBe(200);
    const list = ((await events.json()) as { data: Array<{ type: string; toState: string | null; reason: string; data: Record<string, unknown> }> }).data;
    const exits = list.filter((e) => e.type === 'exited');
    expect(exits.length).toBeGreaterThanOrEqual(1);
    expect(exits[0]).toMatchObject({ reason: 'machine exited (out of memory)', data: { exitCode: 137, oomKilled: true } });
    expect(list.some((e) => e.type === 'state_changed' && e.toState === 'failed' && /^crash loop/.test(e.reason))).toBe(true);

    await world.settle(async () => world.fly.machines(app)[0]!.state === 'stopped', 10);
  });

  it('makes no further restarts on later passes', async () => {
    world.fly.resetCounts();
    const before = world.fly.machines(app)[0]!.restartCount;
    let passes = 0;
    await world.settle(async () => passes++ >= 5, 7);
    expect(world.fly.callCount(START)).toBe(0);
    expect(world.fly.callCount(RESTART)).toBe(0);
    expect(world.fly.callCount(STOP)).toBe(0);
    expect(world.fly.machines(app)[0]!.state).toBe('stopped');
    expect(world.fly.machines(app)[0]!.restartCount).toBe(before);
    expect((await read(id)).state).toBe('failed');
  });

  it('gets a fresh try on POST /restart, and runs once the crash is fixed', async () => {
    world.fly.setBehavior(app, machineId, {});
    world.fly.resetCounts();
    const res = await world.hangar.request(`/v1/deployments/${id}/restart`, { method: 'POST', headers: world.owner.keyHeaders });
    expect(res.status).toBe(202);
    await world.settle(async () => (await read(id)).state === 'running', 20);
    expect(world.fly.callCount(START)).toBe(1);
    const dep = await read(id);
    expect(dep.restartCount).toBe(0);
    expect(world.fly.machines(app)).toHaveLength(1);
    expect(world.fly.machines(app)[0]!.state).toBe('started');
  });
});
