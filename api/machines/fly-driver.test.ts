import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlyHarness, eventually, samplePlan, TEST_IMAGE, type FlyHarness } from '../../test/fake-fly/harness.ts';
import { DriverError, type TenantHome } from './driver.ts';
import { loadConfig } from '../config/config.ts';
import { createFlyMachineDriver, FlyMachineDriver, tenantAppName, toMachineStatus } from './fly-driver.ts';
import { deploymentSecretName } from './machine-config.ts';

const TEAM = 'team_fedcba9876543210';
const APP = 'hangar-team-fedcba9876543210';

let fly: FlyHarness;
let driver: FlyMachineDriver;

beforeEach(async () => {
  fly = await createFlyHarness();
  driver = new FlyMachineDriver({ client: fly.client, logger: fly.logger, appPrefix: 'hangar', runnerImage: TEST_IMAGE, hangarVersion: '0.1.0', restartWaitSeconds: 5 });
});

afterEach(async () => {
  expect(fly.fake.violations).toEqual([]);
  await driver.close();
  await fly.close();
});

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof DriverError) return error.kind;
    throw error;
  }
}

async function running(home: TenantHome): Promise<string> {
  const plan = samplePlan();
  const version = await driver.setSecrets(home, { [deploymentSecretName(plan.deploymentId, 'HANGAR_RUNNER_TOKEN')]: 'runner-canary-token' });
  const machine = await driver.createMachine(home, { ...plan, minSecretsVersion: version });
  await eventually(() => driver.getMachine(home, machine.id), (m) => m?.state === 'started');
  return machine.id;
}

describe('tenants', () => {
  it('creates one app per team on its own network, with its Flycast address on the control network, once', async () => {
    const home = await driver.ensureTenant(TEAM);
    expect(home).toEqual({ appName: APP, network: `${APP}-net` });
    expect(fly.fake.app(APP)).toMatchObject({ network: `${APP}-net`, org: fly.fake.orgSlug });
    // '' is the organization's default network, where Hangar's own app runs in this test's configuration.
    expect(fly.fake.app(APP)!.ips).toEqual([expect.objectContaining({ network: '', ip: expect.stringMatching(/^fdaa:/) })]);
    expect(await driver.ensureTenant(TEAM)).toEqual(home);
    expect(fly.fake.callCount('POST /v1/apps')).toBe(1);
    expect(fly.fake.callCount('POST /v1/apps/{app_name}/ip_assignments')).toBe(1);
    expect(tenantAppName('hangar', 'team_ABC')).toBe('hangar-team-abc');
  });

  it('reads back an app a concurrent instance created (name_taken)', async () => {
    await fly.client.createApp({ name: APP, network: `${APP}-net` });
    fly.fake.setFaults({ failNext: 1, errorStatuses: [404], routes: ['GET /v1/apps/{app_name}'] });
    expect(await driver.ensureTenant(TEAM)).toEqual({ appName: APP, network: `${APP}-net` });
    expect(fly.fake.callCount('POST /v1/apps')).toBe(2);
  });

  it('refuses a name another organization holds', async () => {
    fly.fake.reserveAppName(APP);
    expect(await kindOf(driver.ensureTenant(TEAM))).toBe('rejected');
  });

  it('deletes the tenant app with its machines; a missing app is success', async () => {
    const home = await driver.ensureTenant(TEAM);
    await running(home);
    await driver.deleteTenant(home);
    expect(fly.fake.app(APP)).toBeUndefined();
    await driver.deleteTenant(home);
  });

  it('sets and unsets secrets, returning the version to boot with', async () => {
    const home = await driver.ensureTenant(TEAM);
    expect(await driver.setSecrets(home, { DEP_A_X: '1', DEP_A_Y: '2' })).toBe(1);
    await driver.unsetSecrets(home, ['DEP_A_X', 'DEP_A_MISSING']);
    expect(fly.fake.secrets(APP)).toEqual({ DEP_A_Y: '2' });
    expect(fly.fake.app(APP)!.secretsVersion).toBe(2);
  });
});

describe('machines', () => {
  it('creates a machine that boots with its secret, and lists it in one call', async () => {
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    fly.fake.resetCounts();
    const [listed] = await driver.listMachines(home);
    expect(fly.fake.totalCalls()).toBe(1);
    expect(listed).toMatchObject({
      id,
      name: 'hangar-dep-0123456789abcdef',
      state: 'started',
      deploymentId: 'dep_0123456789abcdef',
      generation: 1,
      checks: [{ name: 'runner', status: 'passing', updatedAt: expect.any(String) }],
      lastExit: undefined,
    });
    expect(listed!.endpoint).toBe(`http://${APP}.flycast:80`);
    const machine = fly.fake.machines(APP)[0]!;
    expect(machine.bootEnv).toMatchObject({ HANGAR_RUNNER_TOKEN: 'runner-canary-token' });
    expect(JSON.stringify(machine.config)).not.toContain('runner-canary-token');
    expect(fly.logs.text()).not.toContain('runner-canary-token');
  });

  it('updates with the version guard; a stale version is a conflict', async () => {
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    const before = (await driver.getMachine(home, id))!;
    const updated = await driver.updateMachine(home, id, before.version, samplePlan({ generation: 2 }));
    expect(updated.generation).toBe(2);
    expect(await kindOf(driver.updateMachine(home, id, before.version, samplePlan({ generation: 3 })))).toBe('conflict');
  });

  it('stops and starts', async () => {
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    await driver.stopMachine(home, id);
    const stopped = await eventually(() => driver.getMachine(home, id), (m) => m?.state === 'stopped');
    expect(stopped!.lastExit).toMatchObject({ exitCode: 0, oomKilled: false });
    await driver.startMachine(home, id);
    await eventually(() => driver.getMachine(home, id), (m) => m?.state === 'started');
  });

  it('restarts under the lease, and refuses while someone else holds it', async () => {
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    const other = await fly.client.acquireLease(APP, id, 30, 'another hangar');
    expect(await kindOf(driver.restartMachine(home, id))).toBe('conflict');
    expect(fly.fake.callCount('POST /v1/apps/{app_name}/machines/{machine_id}/restart')).toBe(0);
    await fly.client.releaseLease(APP, id, other.nonce!);
    await driver.restartMachine(home, id);
    expect(fly.fake.callCount('POST /v1/apps/{app_name}/machines/{machine_id}/restart')).toBe(1);
    expect(fly.fake.machines(APP)[0]!.state).toBe('started');
    expect(fly.fake.machines(APP)[0]!.lease).toBeUndefined();
  });

  it('releases the lease when the restart under it fails', async () => {
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    fly.fake.setFaults({ routes: ['POST /v1/apps/{app_name}/machines/{machine_id}/restart'], failNext: 1, errorStatuses: [500] });
    expect(await kindOf(driver.restartMachine(home, id))).toBe('transient');
    fly.fake.setFaults({});
    expect(fly.fake.callCount('DELETE /v1/apps/{app_name}/machines/{machine_id}/lease')).toBe(1);
    expect(fly.fake.machines(APP)[0]!.lease).toBeUndefined();
    // The next try is not blocked by a lease of our own until its TTL runs out.
    await driver.restartMachine(home, id);
    expect(fly.fake.machines(APP)[0]!.state).toBe('started');
  });

  it.each(['monitor', 'top'] as const)('reports the last exit with its code and OOM flag (exit under %s)', async (shape) => {
    fly.fake.world.exitReply = shape;
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    fly.fake.crash(APP, id, { exitCode: 137, oomKilled: true });
    const machine = await eventually(() => driver.getMachine(home, id), (m) => m?.lastExit !== undefined);
    expect(machine!.lastExit).toMatchObject({ exitCode: 137, oomKilled: true, at: expect.any(String) });
    fly.fake.world.exitReply = 'monitor';
  });

  it('destroys; a destroyed or missing machine is success and reads as absent', async () => {
    const home = await driver.ensureTenant(TEAM);
    const id = await running(home);
    await driver.destroyMachine(home, id);
    // Right after the call it is destroying, or (on a loaded machine) already destroyed, which reads as absent.
    expect(['destroying', undefined]).toContain((await driver.getMachine(home, id))?.state);
    await eventually(() => driver.getMachine(home, id), (m) => m === undefined);
    await driver.destroyMachine(home, id);
    await eventually(() => fly.fake.machines(APP).length, (n) => n === 0);
    await driver.destroyMachine(home, id);
    expect(await driver.listMachines(home)).toEqual([]);
  });

  it('maps unknown states and checks conservatively', () => {
    const status = toMachineStatus({ id: 'm', state: 'exploded', checks: [{ name: 'c', status: 'weird' }], config: { metadata: { hangar_generation: 'x' } } }, 'hangar-team-x');
    expect([status.state, status.checks[0]!.status, status.generation, status.endpoint]).toEqual(['failed', 'critical', undefined, 'http://hangar-team-x.flycast:80']);
  });
});

describe('createFlyMachineDriver', () => {
  it('builds a working driver from config', async () => {
    const config = loadConfig({ FLY_API_TOKEN: 'fo1_test-token-0123456789', FLY_ORG: fly.fake.orgSlug, FLY_API_BASE_URL: fly.fake.url, HANGAR_RUNNER_IMAGE: TEST_IMAGE });
    const fromConfig = createFlyMachineDriver(config.fly, { logger: fly.logger, hangarVersion: '0.1.0' });
    expect(await fromConfig.ensureTenant(TEAM)).toEqual({ appName: APP, network: `${APP}-net` });
    expect(() => createFlyMachineDriver({ ...config.fly, token: undefined }, { logger: fly.logger, hangarVersion: '0.1.0' })).toThrow(/FLY_API_TOKEN/);
  });
});
