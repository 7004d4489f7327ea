import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import type { MachineDriver, TenantHome } from '../machines/driver.ts';
import { runReconcilerPass } from './reconciler.ts';

/**
 * The two lost-update interleavings of issue 14 item 4, driven deterministically: the API call lands while
 * the reconciler holds the row, inside the driver call of its move (a driver that runs the request first).
 */

let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld();
});
afterAll(async () => {
  await world.close();
});

const RESTART = 'POST /v1/apps/{app_name}/machines/{machine_id}/restart';
const START = 'POST /v1/apps/{app_name}/machines/{machine_id}/start';

/** The world's driver, with `during` run inside the first call of `method`, before the real call. */
function driverWithHook(method: 'stopMachine' | 'restartMachine', during: () => Promise<void>): MachineDriver {
  const real = world.driver;
  let fired = false;
  const hooked = Object.create(real) as MachineDriver;
  hooked[method] = async (home: TenantHome, machineId: string) => {
    if (!fired) {
      fired = true;
      await during();
    }
    return real[method](home, machineId);
  };
  return hooked;
}

async function post(id: string, action: string): Promise<void> {
  const res = await world.hangar.request(`/v1/deployments/${id}/${action}`, { method: 'POST', headers: world.owner.keyHeaders });
  expect(res.status).toBe(202);
}

async function row(id: string) {
  return world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
}

async function running(name: string): Promise<string> {
  const res = await world.deploy(world.owner, { name, package: `npm:${TEST_PACKAGE}@1.1.0` });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await world.settle(async () => (await row(id)).state === 'running');
  return id;
}

describe('the reconciler alone owns observed state, and never loses intent that changed during its move', () => {
  it('a start of a failed deployment that lands while the reconciler holds the row is acted on', async () => {
    const id = await running('start-after-failed');
    // A failed deployment whose machine still runs: the reconciler's move is to stop it (state stays failed).
    await world.hangar.services.db.deployment.update({ where: { id }, data: { state: 'failed', failureCode: 'crash_loop', stateReason: 'crash loop' } });
    const driver = driverWithHook('stopMachine', () => post(id, 'start'));
    world.clock.advance(1_000);
    await runReconcilerPass(world.reconcilerDeps({ holder: 'interleaved', driver }));

    const after = await row(id);
    expect(after.startRequestedAt).not.toBeNull(); // the stop's commit did not swallow the start
    expect(after.leaseHolder).toBeNull();
    expect(after.nextReconcileAt.getTime()).toBeLessThanOrEqual(world.clock.now().getTime()); // re-decided at once
    world.fly.resetCounts();
    await world.settle(async () => (await row(id)).state === 'running', 20);
    expect(world.fly.callCount(START)).toBe(1);
    const done = await row(id);
    expect(done.startRequestedAt).toBeNull();
    expect(done.failureCode).toBeNull();
    expect(done.restartCount).toBe(0);
  });

  it('a restart requested while a restart move is in flight is not cleared: the machine restarts twice', async () => {
    const id = await running('restart-during-restart');
    await post(id, 'restart');
    const first = (await row(id)).restartRequestedAt!;
    let second: Date | null = null;
    const driver = driverWithHook('restartMachine', async () => {
      world.clock.advance(10);
      await post(id, 'restart');
      second = (await row(id)).restartRequestedAt;
    });
    world.fly.resetCounts();
    world.clock.advance(1_000);
    await runReconcilerPass(world.reconcilerDeps({ holder: 'interleaved', driver }));
    expect(world.fly.callCount(RESTART)).toBe(1);
    expect(second).not.toBeNull();
    expect(second!.getTime()).toBeGreaterThan(first.getTime());
    // The first restart's acknowledgement cleared only its own stamp, not the second request.
    expect((await row(id)).restartRequestedAt?.getTime()).toBe(second!.getTime());

    await world.settle(async () => world.fly.callCount(RESTART) === 2 && (await row(id)).restartRequestedAt === null && (await row(id)).state === 'running', 20);
    expect(world.fly.callCount(RESTART)).toBe(2);
  });
});
