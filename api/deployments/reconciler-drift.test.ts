import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';

let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld();
});
afterAll(async () => {
  await world.close();
});

const CREATE = 'POST /v1/apps/{app_name}/machines';
const CREATE_APP = 'POST /v1/apps';

async function deploy(user: TestUser, name: string): Promise<string> {
  const res = await world.deploy(user, { name, package: `npm:${TEST_PACKAGE}@1.1.0` });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function row(id: string) {
  return world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
}

async function running(...ids: string[]): Promise<boolean> {
  return (await world.hangar.services.db.deployment.count({ where: { id: { in: ids }, state: 'running' } })) === ids.length;
}

describe('drift: Fly changed behind our back', () => {
  it('recreates a machine destroyed directly on Fly', async () => {
    const user = await signUpUser(world.hangar, { verified: true });
    const id = await deploy(user, 'victim');
    await world.settle(() => running(id));
    const app = world.appOf(user.team.id);
    const original = world.fly.machines(app)[0]!;
    world.fly.resetCounts();
    world.fly.world.destroy(world.fly.app(app)!, original);
    await world.settle(async () => world.fly.machines(app).some((m) => m.id !== original.id && m.state === 'started') && (await running(id)));
    expect(world.fly.callCount(CREATE)).toBe(1);
    const live = world.fly.machines(app).filter((m) => m.state !== 'destroyed');
    expect(live).toHaveLength(1);
    expect((await row(id)).machineId).toBe(live[0]!.id);
    const events = await world.hangar.services.db.deploymentEvent.findMany({ where: { deploymentId: id }, orderBy: { id: 'asc' } });
    expect(events.some((e) => e.type === 'state_changed' && e.reason === 'machine missing; recreating it')).toBe(true);
  });

  it('recreates the team app (own network) and every machine when the app is deleted', async () => {
    const user = await signUpUser(world.hangar, { verified: true });
    const ids = [await deploy(user, 'one'), await deploy(user, 'two')];
    await world.settle(() => running(...ids));
    const app = world.appOf(user.team.id);
    const before = world.fly.app(app)!;
    world.fly.resetCounts();
    world.fly.world.deleteApp(before);
    expect(world.fly.app(app)).toBeUndefined();
    await world.settle(async () => world.fly.machines(app).filter((m) => m.state === 'started').length === 2 && (await running(...ids)));
    const after = world.fly.app(app)!;
    expect(after.id).not.toBe(before.id);
    expect(after.network).toBe(`${app}-net`);
    // Its Flycast address is on Hangar's control network (the default one here), not the tenant's.
    expect(after.ips.map((ip) => ip.network)).toEqual(['']);
    expect(world.fly.callCount(CREATE_APP)).toBe(1);
    expect(world.fly.callCount(CREATE)).toBe(2);
    const machines = world.fly.machines(app);
    expect(machines.map((m) => m.config.metadata?.hangar_deployment).sort()).toEqual([...ids].sort());
    // The secrets went back into the new app before the machines booted.
    for (const machine of machines) expect(machine.bootEnv?.HANGAR_RUNNER_TOKEN).toMatch(/^hrt_/);
    expect(world.fly.violations).toEqual([]);
  });
});

describe('a Fly outage', () => {
  it('keeps state, records driver errors with growing backoff, and converges when Fly is back', async () => {
    const user = await signUpUser(world.hangar, { verified: true });
    const steady = await deploy(user, 'steady');
    await world.settle(() => running(steady));
    world.fly.setFaults({ errorRate: 1, errorStatuses: [429, 500, 502, 503] });
    const fresh = await deploy(user, 'fresh');
    const delays: Array<{ attempts: number; delay: number }> = [];
    for (let pass = 0; pass < 7; pass += 1) {
      world.clock.advance(world.settings.intervalMs);
      const result = await world.hangar.services.reconciler.passOnce();
      expect(result.moves).toEqual({});
      const r = await row(steady);
      if (delays.at(-1)?.attempts !== r.attempts) delays.push({ attempts: r.attempts, delay: r.nextReconcileAt.getTime() - world.clock.now().getTime() });
    }
    expect((await row(steady)).state).toBe('running');
    expect((await row(fresh)).state).toBe('pending');
    expect((await row(fresh)).machineId).toBeNull();
    // Attempts grow and the next look moves out: base 500 ms doubling to the 2 s cap, jittered to [wait/2, wait].
    expect(delays.map((d) => d.attempts)).toEqual(Array.from({ length: delays.length }, (_, i) => i + 1));
    expect(delays.length).toBeGreaterThanOrEqual(4);
    expect(delays[0]!.delay).toBeGreaterThanOrEqual(250);
    expect(delays[0]!.delay).toBeLessThanOrEqual(500);
    expect(delays[2]!.delay).toBeGreaterThanOrEqual(1000);
    expect(delays[2]!.delay).toBeLessThanOrEqual(2000);
    const errors = await world.hangar.services.db.deploymentEvent.findMany({ where: { deploymentId: steady, type: 'driver_error' } });
    expect(errors[0]).toMatchObject({ reason: 'machine platform error (transient); retrying', data: { attempts: 1 } });

    world.fly.setFaults({});
    world.fly.resetCounts();
    await world.settle(() => running(steady, fresh));
    expect((await row(steady)).attempts).toBe(0);
    expect(world.fly.callCount(CREATE)).toBe(1);
    expect(world.fly.machines(world.appOf(user.team.id))).toHaveLength(2);
  });
});
