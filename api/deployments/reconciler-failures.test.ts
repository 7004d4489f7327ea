import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { MissingCredentialError } from './launch-secrets.ts';
import { LaunchSpecError } from '../launch-spec/validate-launch-spec.ts';
import { DriverError } from '../machines/driver.ts';
import { permanentFailure } from './failure.ts';
import { runReconcilerPass } from './reconciler.ts';

let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld();
});
afterAll(async () => {
  await world.close();
});

interface View {
  id: string;
  state: string;
  stateReason: string | null;
  failure: { code: string; message: string } | null;
  retrying: { lastError: string; lastErrorAt: string; attempts: number; nextAttemptAt: string } | null;
}

async function read(id: string): Promise<View> {
  const res = await world.hangar.request(`/v1/deployments/${id}`, { headers: world.owner.keyHeaders });
  expect(res.status).toBe(200);
  return (await res.json()) as View;
}

async function events(id: string): Promise<Array<{ type: string; toState: string | null; reason: string; data: Record<string, unknown> }>> {
  const res = await world.hangar.request(`/v1/deployments/${id}/events?limit=100`, { headers: world.owner.keyHeaders });
  return ((await res.json()) as { data: Array<{ type: string; toState: string | null; reason: string; data: Record<string, unknown> }> }).data;
}

async function deploy(name: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await world.deploy(world.owner, { name, package: `npm:${TEST_PACKAGE}@1.1.0`, ...body });
  expect(res.status).toBe(202);
  return ((await res.json()) as View).id;
}

const CREATE = 'POST /v1/apps/{app_name}/machines';

describe('errors that will never succeed end the deployment in failed with a stable code', () => {
  it('a deleted credential drives its deployment to failed/credential_missing at its next launch', async () => {
    const team = world.owner.team.id;
    const created = await world.hangar.request(`/v1/teams/${team}/credentials`, jsonInit('POST', world.owner.keyHeaders, { name: 'API_TOKEN', value: 'tok-123456' }));
    expect(created.status).toBe(201);
    const id = await deploy('with-cred', { secrets: { API_TOKEN: { credential: 'API_TOKEN' } } });
    await world.settle(async () => (await read(id)).state === 'running');

    expect((await world.hangar.request(`/v1/teams/${team}/credentials/API_TOKEN`, { method: 'DELETE', headers: world.owner.keyHeaders })).status).toBe(204);
    expect((await world.hangar.request(`/v1/deployments/${id}/restart`, { method: 'POST', headers: world.owner.keyHeaders })).status).toBe(202);
    await world.settle(async () => (await read(id)).state === 'failed', 10);

    const view = await read(id);
    expect(view.failure).toEqual({ code: 'credential_missing', message: 'secret API_TOKEN refers to a credential that no longer exists' });
    expect(view.retrying).toBeNull();
    const failed = (await events(id)).find((e) => e.type === 'state_changed' && e.toState === 'failed');
    expect(failed).toMatchObject({ reason: 'secret API_TOKEN refers to a credential that no longer exists', data: { code: 'credential_missing' } });
    // Failed for good: no endless retries, and the machine was stopped.
    world.fly.resetCounts();
    let passes = 0;
    await world.settle(async () => passes++ >= 3, 5);
    expect((await read(id)).state).toBe('failed');
    expect(world.fly.callCount('POST /v1/apps/{app_name}/machines/{machine_id}/restart')).toBe(0);
    const app = world.appOf(team);
    await world.settle(async () => world.fly.machines(app).find((m) => m.config.metadata?.hangar_deployment === id)?.state === 'stopped', 10);
  });

  it('a config Fly rejects (400) ends failed/driver_rejected after one try', async () => {
    world.fly.setFaults({ routes: [CREATE], failNext: 1, errorStatuses: [400] });
    world.fly.resetCounts();
    const id = await deploy('rejected');
    await world.settle(async () => (await read(id)).state === 'failed', 10);
    world.fly.setFaults({});
    const view = await read(id);
    expect(view.failure).toEqual({ code: 'driver_rejected', message: "the machine platform rejected the deployment's configuration (Fly createMachine failed: 400 (unknown))" });
    expect(world.fly.callCount(CREATE)).toBe(1);
  });

  it('a transient error keeps retrying, shown as retrying with the last error and the next attempt time', async () => {
    const id = await deploy('flaky');
    world.fly.setFaults({ routes: [CREATE], failNext: 1, errorStatuses: [503] });
    world.clock.advance(1_000);
    const pass = await runReconcilerPass(world.reconcilerDeps({ holder: 'flaky-pass' }));
    expect(pass.errors).toBe(1);
    world.fly.setFaults({});
    const view = await read(id);
    expect(view.state).toBe('pending');
    expect(view.failure).toBeNull();
    expect(view.retrying).toMatchObject({ lastError: 'machine platform error (transient): Fly createMachine failed: 503 (unknown)', attempts: 1 });
    expect(Date.parse(view.retrying!.nextAttemptAt)).toBeGreaterThan(world.clock.now().getTime());
    expect(Date.parse(view.retrying!.lastErrorAt)).toBe(world.clock.now().getTime());
    await world.settle(async () => (await read(id)).state === 'running', 10);
    expect((await read(id)).retrying).toBeNull();
  });
});

describe('permanentFailure', () => {
  it('gives each permanent error its stable code and a message of our own; nothing else is permanent', () => {
    expect(permanentFailure(new MissingCredentialError('secret X refers to a template value that no longer exists', 'template_secret_missing'))).toEqual({
      code: 'template_secret_missing',
      message: 'secret X refers to a template value that no longer exists',
    });
    expect(permanentFailure(new LaunchSpecError([{ path: 'args[0]', rule: 'shell_metacharacter', message: 'x' } as never]))).toEqual({
      code: 'launch_spec_rejected',
      message: 'launch spec rejected before launch: args[0] (shell_metacharacter)',
    });
    expect(permanentFailure(new DriverError('rejected', 'raw driver text'))?.message).toBe("the machine platform rejected the deployment's configuration");
    for (const kind of ['transient', 'capacity', 'conflict', 'not_found'] as const) expect(permanentFailure(new DriverError(kind, 'x'))).toBeUndefined();
    expect(permanentFailure(new Error('boom'))).toBeUndefined();
  });
});
