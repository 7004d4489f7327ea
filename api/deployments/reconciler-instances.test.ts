import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from '../../test/accounts.ts';
import { createDeploymentWorld, fakeFlyDriver, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import type { LaunchPlan, MachineDriver, MachineStatus, TenantHome } from '../machines/driver.ts';
import { claimDueDeployments } from './lease.ts';
import { runReconcilerPass, type PassResult } from './reconciler.ts';
import type { DeploymentState } from './states.ts';

let world: DeploymentWorld;

beforeAll(async () => {
  // A small batch, so two instances each take part of the due work in the same pass.
  world = await createDeploymentWorld({ reconciler: { batchSize: 16, teamConcurrency: 8, healthFailureThreshold: 2 } });
});
afterAll(async () => {
  await world.close();
});

const CREATE = 'POST /v1/apps/{app_name}/machines';
const RESTART = 'POST /v1/apps/{app_name}/machines/{machine_id}/restart';

async function deployMany(users: TestUser[], perTeam: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (const user of users) {
    for (let i = 0; i < perTeam; i += 1) {
      const res = await world.deploy(user, { name: `${prefix}-${i}`, package: `npm:${TEST_PACKAGE}@1.1.0` });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
  }
  return ids;
}

async function allIn(ids: string[], state: DeploymentState): Promise<boolean> {
  return (await world.hangar.services.db.deployment.count({ where: { id: { in: ids }, state } })) === ids.length;
}

/** Machines in the fake that carry a deployment id, grouped by it. */
function machinesByDeployment(): Map<string, number> {
  const seen = new Map<string, number>();
  for (const app of world.fly.world.apps.values()) {
    for (const machine of app.machines.values()) {
      if (machine.state === 'destroyed' || machine.state === 'destroying') continue;
      const id = machine.config.metadata?.hangar_deployment ?? '';
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  return seen;
}

describe('leases', () => {
  it('two holders claiming at once get disjoint sets that cover every due deployment', async () => {
    const users = [await signUpUser(world.hangar, { verified: true })];
    const ids = await deployMany(users, 6, 'lease');
    const now = world.clock.now();
    const claims = await Promise.all(
      ['one', 'two', 'three'].map((holder) => claimDueDeployments(world.hangar.services.pool, { holder, now, leaseMs: 30_000, limit: 4 })),
    );
    const claimed = claims.flat().filter((id) => ids.includes(id));
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual([...ids].sort());
    // Held leases are not claimed again until they expire.
    expect(await claimDueDeployments(world.hangar.services.pool, { holder: 'four', now, leaseMs: 30_000, limit: 100 })).toEqual([]);
    const later = new Date(now.getTime() + 30_001);
    expect((await claimDueDeployments(world.hangar.services.pool, { holder: 'four', now: later, leaseMs: 30_000, limit: 100 })).sort()).toEqual([...ids].sort());
    await world.hangar.services.pool.query(`UPDATE deployments SET desired_state = 'deleted', lease_holder = NULL, lease_expires_at = NULL WHERE id = ANY($1)`, [ids]);
    await world.settle(async () => (await world.hangar.services.db.deployment.count({ where: { id: { in: ids } } })) === 0, 20);
  });
});

describe('two reconciler instances', () => {
  it('never act on the same deployment: one create per deployment, one restart per critical machine', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => signUpUser(world.hangar, { verified: true })));
    const ids = await deployMany(users, 5, 'pair');
    world.fly.resetCounts();
    const a = world.reconcilerDeps({ holder: 'instance-a' });
    const b = world.reconcilerDeps({ holder: 'instance-b', driver: fakeFlyDriver(world.fly) });
    const claimed = { a: 0, b: 0 };
    async function bothPass(): Promise<void> {
      world.clock.advance(world.settings.intervalMs);
      const [ra, rb]: PassResult[] = await Promise.all([runReconcilerPass(a), runReconcilerPass(b)]);
      claimed.a += ra!.claimed;
      claimed.b += rb!.claimed;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let i = 0; i < 40 && !(await allIn(ids, 'running')); i += 1) await bothPass();
    expect(await allIn(ids, 'running')).toBe(true);
    expect(claimed.a).toBeGreaterThan(0);
    expect(claimed.b).toBeGreaterThan(0);
    // Two instances have two client-side limiters, so Fly may refuse a create with 429 (before acting) and
    // the client retries it: those refusals changed nothing; every create Fly accepted made one machine.
    expect(world.fly.callCount(CREATE) - world.fly.rateLimitedCount(CREATE)).toBe(30);
    const byDeployment = machinesByDeployment();
    for (const id of ids) expect([id, byDeployment.get(id)]).toEqual([id, 1]);
    const created = await world.hangar.services.db.deploymentEvent.groupBy({ by: ['deploymentId'], where: { deploymentId: { in: ids }, type: 'machine_created' }, _count: true });
    expect(created.map((row) => row._count)).toEqual(Array(30).fill(1));

    // Every check goes critical: each machine must be restarted exactly once, by one of the two.
    const rows = await world.hangar.services.db.deployment.findMany({ where: { id: { in: ids } }, include: { team: true } });
    for (const row of rows) world.fly.setCheck(row.team.flyAppName!, row.machineId!, 'critical');
    world.fly.resetCounts();
    for (let i = 0; i < 30 && world.fly.callCount(RESTART) - world.fly.rateLimitedCount(RESTART) < 30; i += 1) await bothPass();
    for (let i = 0; i < 3; i += 1) await bothPass();
    expect(world.fly.callCount(RESTART) - world.fly.rateLimitedCount(RESTART)).toBe(30);
    for (const row of rows) {
      const machine = world.fly.app(row.team.flyAppName!)!.machines.get(row.machineId!)!;
      expect([row.id, machine.events.filter((e) => e.type === 'restart').length]).toEqual([row.id, 1]);
    }
    const restarted = await world.hangar.services.db.deploymentEvent.groupBy({ by: ['deploymentId'], where: { deploymentId: { in: ids }, type: 'restarted' }, _count: true });
    expect(restarted.map((row) => row._count)).toEqual(Array(30).fill(1));
    for (let i = 0; i < 20 && !(await allIn(ids, 'running')); i += 1) await bothPass();
    expect(await allIn(ids, 'running')).toBe(true);
    expect(world.fly.violations).toEqual([]);
  });
});

/** A driver whose createMachine reaches Fly, then dies before the caller can store the id. */
function dyingAfterCreate(inner: MachineDriver, death: 'throw' | 'hang'): MachineDriver {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'createMachine') return Reflect.get(target, prop, receiver) as unknown;
      return async (home: TenantHome, plan: LaunchPlan): Promise<MachineStatus> => {
        await target.createMachine(home, plan);
        if (death === 'throw') throw new Error('process died after the Fly call');
        return new Promise<MachineStatus>(() => undefined);
      };
    },
  });
}

describe('a reconciler killed between "machine created" and "id stored"', () => {
  for (const death of ['hang', 'throw'] as const) {
    it(`adopts the machine it made instead of making another (${death})`, async () => {
      const user = await signUpUser(world.hangar, { verified: true });
      const [id] = await deployMany([user], 1, `killed-${death}`);
      world.fly.resetCounts();
      const settings = { ...world.settings, batchSize: 500 };
      const doomed = runReconcilerPass(world.reconcilerDeps({ holder: `doomed-${death}`, driver: dyingAfterCreate(world.driver, death), settings }));
      const app = world.appOf(user.team.id);
      if (death === 'throw') await doomed;
      else for (let i = 0; i < 200 && world.fly.machines(app).length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(world.fly.machines(app)).toHaveLength(1);
      const stranded = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
      expect(stranded.machineId).toBeNull();
      if (death === 'hang') expect(stranded.leaseHolder).toBe('doomed-hang');

      // The restarted instance waits for the dead one's lease to expire, then finds the machine by metadata.
      world.clock.advance(world.settings.leaseMs);
      await world.settle(async () => (await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } })).state === 'running', 20);
      const machines = world.fly.machines(app);
      expect(machines).toHaveLength(1);
      expect(world.fly.callCount(CREATE)).toBe(1);
      const row = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
      expect(row.machineId).toBe(machines[0]!.id);
      expect(row.privateAddress).toBe(`http://${app}.flycast:80`);
    });
  }
});
