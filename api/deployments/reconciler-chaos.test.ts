import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';

/**
 * 200 operations (80 creates, 60 stops, 60 deletes) through the API while a fifth of Fly calls fail
 * (429/5xx), a few hang until the client times out and a few are applied with the answer lost.
 */

let world: DeploymentWorld;
const TEAMS = 20;
const PER_TEAM = 4;

beforeAll(async () => {
  world = await createDeploymentWorld({ reconciler: { teamConcurrency: TEAMS, batchSize: 200 }, env: { HANGAR_DEPLOYMENT_QUOTA: '10' } });
});
afterAll(async () => {
  await world.close();
});

async function lifecycle(user: TestUser, id: string, action: 'stop' | 'delete'): Promise<void> {
  const res = await world.hangar.request(action === 'delete' ? `/v1/deployments/${id}` : `/v1/deployments/${id}/stop`, {
    method: action === 'delete' ? 'DELETE' : 'POST',
    headers: user.keyHeaders,
  });
  expect([action, res.status]).toEqual([action, 202]);
}

async function pass(): Promise<void> {
  world.clock.advance(world.settings.intervalMs);
  await world.hangar.services.reconciler.passOnce();
  await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('chaos: 20% of Fly calls failing', () => {
  it('200 create/stop/delete operations converge with no orphaned or duplicate machine', async () => {
    const users = await Promise.all(Array.from({ length: TEAMS }, () => signUpUser(world.hangar, { verified: true })));
    world.fly.setFaults({ errorRate: 0.2, errorStatuses: [429, 500, 502, 503], hangRate: 0.01, lostResponseRate: 0.02 });
    const owned = new Map<string, TestUser>();
    const perTeam: string[][] = [];
    for (const user of users) {
      const ids: string[] = [];
      for (let i = 0; i < PER_TEAM; i += 1) {
        const res = await world.deploy(user, { name: `chaos-${i}`, package: `npm:${TEST_PACKAGE}@1.1.0` });
        expect(res.status).toBe(202);
        const id = ((await res.json()) as { id: string }).id;
        ids.push(id);
        owned.set(id, user);
      }
      perTeam.push(ids);
    }
    // Intent arrives while the reconciler is mid-flight: creates, two passes, stops, two passes, deletes.
    await pass();
    await pass();
    const stopped = perTeam.flatMap((ids) => ids.slice(0, 3));
    for (const id of stopped) await lifecycle(owned.get(id)!, id, 'stop');
    await pass();
    await pass();
    const emptied = perTeam.slice(0, TEAMS / 2).flat();
    const deleted = [...emptied, ...perTeam.slice(TEAMS / 2).flatMap((ids) => ids.slice(2))];
    for (const id of deleted) await lifecycle(owned.get(id)!, id, 'delete');
    expect([owned.size, stopped.length, deleted.length]).toEqual([80, 60, 60]);

    const { db } = world.hangar.services;
    const kept = stopped.filter((id) => !deleted.includes(id));
    const converged = async (): Promise<boolean> =>
      (await db.deployment.count({ where: { id: { in: deleted } } })) === 0 &&
      (await db.deployment.count({ where: { id: { in: kept }, state: 'stopped' } })) === kept.length &&
      machinesIn().every((m) => m.state === 'stopped');
    await world.settle(converged, 60);
    world.fly.setFaults({});
    // The faults met real work: most deployments got a machine before their stop or delete arrived.
    expect(world.fly.callCount('POST /v1/apps/{app_name}/machines')).toBeGreaterThanOrEqual(60);
    expect(world.fly.callCount('DELETE /v1/apps/{app_name}/machines/{machine_id}')).toBeGreaterThanOrEqual(40);

    // desired == observed, at Fly and in the database.
    const machines = machinesIn();
    const byDeployment = new Map<string, number>();
    for (const m of machines) byDeployment.set(m.deployment, (byDeployment.get(m.deployment) ?? 0) + 1);
    expect([...byDeployment.values()].filter((n) => n > 1)).toEqual([]);
    const orphans = machines.filter((m) => !kept.includes(m.deployment));
    expect(orphans).toEqual([]);
    const rows = await db.deployment.findMany({ where: { id: { in: kept } } });
    expect(rows.map((r) => [r.state, r.desiredState])).toEqual(Array(kept.length).fill(['stopped', 'stopped']));
    for (const r of rows) {
      if (r.machineId) expect(machines.find((m) => m.id === r.machineId)?.deployment).toBe(r.id);
    }
    // Teams that lost their last deployment lost their app; the others kept theirs.
    for (const user of users.slice(0, TEAMS / 2)) {
      expect(world.fly.app(world.appOf(user.team.id))).toBeUndefined();
      expect((await db.team.findUniqueOrThrow({ where: { id: user.team.id } })).flyAppName).toBeNull();
    }
    for (const user of users.slice(TEAMS / 2)) {
      const team = await db.team.findUniqueOrThrow({ where: { id: user.team.id } });
      if (team.flyAppName) expect(world.fly.app(team.flyAppName)).toBeDefined();
    }
    expect(world.fly.violations).toEqual([]);
  }, 90_000);
});

/** Every machine in the fake that is not (being) destroyed, with the deployment its metadata names. */
function machinesIn(): Array<{ id: string; app: string; state: string; deployment: string }> {
  return [...world.fly.world.apps.values()].flatMap((app) =>
    [...app.machines.values()]
      .filter((m) => m.state !== 'destroyed' && m.state !== 'destroying')
      .map((m) => ({ id: m.id, app: app.name, state: m.state, deployment: m.config.metadata?.hangar_deployment ?? '' })),
  );
}
