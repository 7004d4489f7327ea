import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlyHarness, eventually, samplePlan, TEST_IMAGE, type FlyHarness } from '../../test/fake-fly/harness.ts';
import { FlyClient } from './fly-client.ts';
import { DriverError } from './driver.ts';
import { FlyError } from './fly-errors.ts';
import type { FlyCreateMachineRequest } from './fly-types.ts';
import { buildMachineConfig } from './machine-config.ts';
import { TokenBucketLimiter } from './rate-limiter.ts';

const CREATE = 'POST /v1/apps/{app_name}/machines';
const GET = 'GET /v1/apps/{app_name}/machines/{machine_id}';

function machineRequest(name = 'hangar-dep-1'): FlyCreateMachineRequest {
  return { name, region: 'iad', config: buildMachineConfig(samplePlan({ machineName: name }), { runnerImage: TEST_IMAGE, hangarVersion: '0.1.0' }) };
}

async function failure(promise: Promise<unknown>): Promise<FlyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FlyError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

let fly: FlyHarness;

beforeEach(async () => {
  fly = await createFlyHarness();
});

afterEach(async () => {
  expect(fly.fake.violations).toEqual([]);
  await fly.close();
});

async function newApp(name = 'hangar-team-a'): Promise<string> {
  await fly.client.createApp({ name, network: `${name}-net` });
  return name;
}

describe('authorization', () => {
  it('a wrong token is rejected (401), not retried', async () => {
    const client = new FlyClient({ baseUrl: fly.fake.url, token: 'wrong', orgSlug: fly.fake.orgSlug, logger: fly.logger });
    const error = await failure(client.getApp('hangar-team-a'));
    expect([error.kind, error.status]).toEqual(['rejected', 401]);
    expect(fly.fake.callCount('GET /v1/apps/{app_name}')).toBe(1);
  });
});

describe('apps, secrets and addresses', () => {
  it('creates an app on its own network, reads and deletes it', async () => {
    const created = await fly.client.createApp({ name: 'hangar-team-a', network: 'hangar-team-a-net' });
    expect(created.id).toMatch(/^[0-9a-f]{16}$/);
    const app = await fly.client.getApp('hangar-team-a');
    expect(app).toMatchObject({ name: 'hangar-team-a', network: 'hangar-team-a-net', organization: { slug: fly.fake.orgSlug } });
    await fly.client.deleteApp('hangar-team-a');
    expect(fly.fake.app('hangar-team-a')).toBeUndefined();
    expect((await failure(fly.client.getApp('hangar-team-a'))).kind).toBe('not_found');
  });

  it('classifies a taken name by Fly\'s status field (name_taken), and honours the idempotency key', async () => {
    await fly.client.createApp({ name: 'hangar-team-a', network: 'n1', idempotencyKey: 'k1' });
    const again = await fly.client.createApp({ name: 'hangar-team-a', network: 'n1', idempotencyKey: 'k1' });
    expect(again.id).toBe(fly.fake.app('hangar-team-a')!.id);
    const taken = await failure(fly.client.createApp({ name: 'hangar-team-a', network: 'n1' }));
    expect([taken.kind, taken.status, taken.flyStatus]).toEqual(['conflict', 422, 'name_taken']);
    expect(taken.message).not.toContain('already taken');
  });

  it('sets and unsets secrets in one call each, returning increasing versions', async () => {
    const app = await newApp();
    const v1 = await fly.client.updateSecrets(app, { DEP_X_TOKEN: 'canary-secret-1', DEP_X_OTHER: 'canary-secret-2' });
    const v2 = await fly.client.updateSecrets(app, { DEP_X_OTHER: null });
    expect([v1, v2]).toEqual([1, 2]);
    expect(fly.fake.secrets(app)).toEqual({ DEP_X_TOKEN: 'canary-secret-1' });
    expect(fly.logs.text()).not.toContain('canary-secret');
  });

  it('assigns a private v6 address on the app network', async () => {
    const app = await newApp();
    const ip = await fly.client.assignPrivateIp(app, `${app}-net`);
    expect(ip.ip).toMatch(/^fdaa:/);
    const listed = await fly.client.listIpAssignments(app);
    expect(listed).toEqual([expect.objectContaining({ ip: ip.ip, shared: false })]);
    // Real Fly lists no network (fly-go's IPAssignment): the driver must not depend on it.
    expect(listed[0]).not.toHaveProperty('network');
  });
});

describe('machines', () => {
  it('create, get, wait, update with current_version, stop, start, restart, events, delete', async () => {
    const app = await newApp();
    const created = await fly.client.createMachine(app, machineRequest());
    expect(created).toMatchObject({ name: 'hangar-dep-1', state: 'creating' });
    const id = created.id!;
    expect(await fly.client.waitForState(app, id, 'started', 5)).toMatchObject({ ok: true, state: 'started' });
    const started = await fly.client.getMachine(app, id);
    expect(started.checks).toEqual([expect.objectContaining({ name: 'runner', status: 'passing' })]);

    const updated = await fly.client.updateMachine(app, id, { config: machineRequest().config, current_version: started.version });
    expect(updated.version).not.toBe(started.version);
    const stale = await failure(fly.client.updateMachine(app, id, { config: machineRequest().config, current_version: started.version }));
    expect([stale.kind, stale.status]).toEqual(['conflict', 409]);
    expect(fly.fake.callCount('POST /v1/apps/{app_name}/machines/{machine_id}')).toBe(2);

    await fly.client.waitForState(app, id, 'started', 5);
    await fly.client.stopMachine(app, id, { signal: 'SIGTERM', timeout: '5s' });
    expect((await fly.client.waitForState(app, id, 'stopped', 5)).ok).toBe(true);
    await fly.client.startMachine(app, id);
    expect((await fly.client.waitForState(app, id, 'started', 5)).ok).toBe(true);
    await fly.client.restartMachine(app, id, { timeout: '5s' });
    await eventually(() => fly.client.getMachine(app, id), (m) => m.state === 'started');

    const events = await fly.client.listEvents(app, id, 50);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['launch', 'start', 'update', 'stop', 'exit', 'restart']));
    expect(events[0]!.timestamp! >= events[events.length - 1]!.timestamp!).toBe(true);

    await fly.client.deleteMachine(app, id, true);
    const gone = (): Promise<string> => fly.client.getMachine(app, id).then((m) => m.state!, (e: FlyError) => e.kind);
    expect(await eventually(gone, (state) => state !== 'destroying')).toBe('destroyed');
    expect(await eventually(gone, (state) => state !== 'destroyed')).toBe('not_found');
  });

  it('a wait that runs out is { ok: false } (408), not an error', async () => {
    const app = await newApp();
    const { id } = await fly.client.createMachine(app, { ...machineRequest(), skip_launch: true });
    expect(await fly.client.waitForState(app, id!, 'stopped', 1)).toEqual({ ok: false });
  });

  it('lists by metadata across pages (fly-next-cursor)', async () => {
    await fly.close();
    fly = await createFlyHarness({ fake: { pageSize: 2, rateLimits: false }, client: { limiter: new TokenBucketLimiter({ headroom: 1000 }) } });
    const app = await newApp();
    for (let i = 0; i < 5; i += 1) await fly.client.createMachine(app, machineRequest(`m-${i}`));
    const other = machineRequest('other');
    other.config.metadata = { ...other.config.metadata, hangar_deployment: 'dep_other' };
    await fly.client.createMachine(app, other);
    expect((await fly.client.listMachines(app)).length).toBe(6);
    const mine = await fly.client.listMachines(app, { metadata: { hangar_deployment: 'dep_0123456789abcdef' } });
    expect(mine.map((m) => m.name).sort()).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4']);
    expect(fly.fake.callCount('GET /v1/apps/{app_name}/machines')).toBe(3 + 3);
  });

  it('leases: a second holder gets a conflict; mutations need the nonce; release frees it', async () => {
    const app = await newApp();
    const { id } = await fly.client.createMachine(app, machineRequest());
    await fly.client.waitForState(app, id!, 'started', 5);
    const lease = await fly.client.acquireLease(app, id!, 30, 'test');
    expect(lease.nonce).toMatch(/^[0-9a-f]{16}$/);
    expect((await failure(fly.client.acquireLease(app, id!, 30, 'other'))).kind).toBe('conflict');
    expect((await failure(fly.client.restartMachine(app, id!))).status).toBe(409);
    await fly.client.restartMachine(app, id!, { leaseNonce: lease.nonce! });
    await fly.client.releaseLease(app, id!, lease.nonce!);
    expect((await fly.client.acquireLease(app, id!, 30, 'next')).nonce).not.toBe(lease.nonce);
  });

  it('reads the lease in real Fly\'s envelope and in the spec\'s bare shape, and releases one it cannot use', async () => {
    const app = await newApp();
    const { id } = await fly.client.createMachine(app, machineRequest());
    await fly.client.waitForState(app, id!, 'started', 5);
    fly.fake.world.leaseReply = 'envelope';
    const enveloped = await fly.client.acquireLease(app, id!, 30, 'envelope');
    expect(enveloped.nonce).toBe(fly.fake.machines(app)[0]!.lease!.nonce);
    expect(enveloped.expires_at).toBeGreaterThan(Date.now() / 1000);
    await fly.client.releaseLease(app, id!, enveloped.nonce);
    expect(fly.fake.machines(app)[0]!.lease).toBeUndefined();

    fly.fake.world.leaseReply = 'bare';
    const bare = await fly.client.acquireLease(app, id!, 30, 'bare');
    expect(bare.nonce).toBe(fly.fake.machines(app)[0]!.lease!.nonce);
    await fly.client.releaseLease(app, id!, bare.nonce);

    fly.fake.world.leaseReply = 'failed';
    fly.fake.resetCounts();
    const refused = await fly.client.acquireLease(app, id!, 30, 'failed').then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(DriverError);
    expect((refused as DriverError).kind).toBe('transient');
    // The unusable lease was released at once, so the next holder is not blocked until its TTL.
    expect(fly.fake.callCount('DELETE /v1/apps/{app_name}/machines/{machine_id}/lease')).toBe(1);
    expect(fly.fake.machines(app)[0]!.lease).toBeUndefined();
    fly.fake.world.leaseReply = 'envelope';
  });

  it('reports an exit with its code and OOM flag in events', async () => {
    const app = await newApp();
    const { id } = await fly.client.createMachine(app, machineRequest());
    await fly.client.waitForState(app, id!, 'started', 5);
    fly.fake.crash(app, id!, { exitCode: 137, oomKilled: true });
    const events = await eventually(() => fly.client.listEvents(app, id!), (list) => list.some((e) => e.type === 'exit'));
    expect(events.find((e) => e.type === 'exit')!.request!.MonitorEvent!.exit_event).toMatchObject({ exit_code: 137, oom_killed: true });
  });
});

describe('failures, retries and limits', () => {
  it('retries a GET on 429 and 5xx, then succeeds', async () => {
    const app = await newApp();
    fly.fake.setFaults({ failNext: 2, errorStatuses: [503], routes: ['GET /v1/apps/{app_name}'] });
    expect((await fly.client.getApp(app)).name).toBe(app);
    expect(fly.fake.callCount('GET /v1/apps/{app_name}')).toBe(3);
    expect(fly.logs.text()).toContain('fly call failed, retrying');
  });

  it('gives up on a GET after its attempts, as a transient error', async () => {
    const app = await newApp();
    fly.fake.setFaults({ errorRate: 1, errorStatuses: [502], routes: ['GET /v1/apps/{app_name}'] });
    const error = await failure(fly.client.getApp(app));
    expect([error.kind, error.status]).toEqual(['transient', 502]);
    expect(fly.fake.callCount('GET /v1/apps/{app_name}')).toBe(4);
  });

  it('never repeats a machine create that failed with a 5xx', async () => {
    const app = await newApp();
    fly.fake.setFaults({ failNext: 1, errorStatuses: [500], routes: [CREATE] });
    const error = await failure(fly.client.createMachine(app, machineRequest()));
    expect([error.kind, error.status]).toEqual(['transient', 500]);
    expect(fly.fake.callCount(CREATE)).toBe(1);
    expect(fly.fake.machines(app)).toHaveLength(0);
  });

  it('never repeats a machine create whose answer was lost', async () => {
    const app = await newApp();
    fly.fake.setFaults({ lostResponseRate: 1, routes: [CREATE] });
    const error = await failure(fly.client.createMachine(app, machineRequest()));
    expect([error.kind, error.failure]).toEqual(['transient', 'network']);
    expect(fly.fake.callCount(CREATE)).toBe(1);
    expect(fly.fake.machines(app)).toHaveLength(1);
  });

  it('repeats a create refused with 429 (Fly did not act on it)', async () => {
    const app = await newApp();
    fly.fake.setFaults({ failNext: 1, errorStatuses: [429], routes: [CREATE] });
    await fly.client.createMachine(app, machineRequest());
    expect(fly.fake.callCount(CREATE)).toBe(2);
    expect(fly.fake.machines(app)).toHaveLength(1);
  });

  it('times out a hanging call: a GET is retried, a create is not', async () => {
    // The app is made with the generous client: only the hanging calls meet the short timeout, so a slow
    // answer on a loaded machine cannot time out the setup.
    const app = await newApp();
    const hasty = fly.clientWith({ timeoutMs: 150, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    fly.fake.setFaults({ hangRate: 1, routes: ['GET /v1/apps/{app_name}', CREATE] });
    expect((await failure(hasty.getApp(app))).failure).toBe('timeout');
    expect(fly.fake.callCount('GET /v1/apps/{app_name}')).toBe(2);
    expect((await failure(hasty.createMachine(app, machineRequest()))).failure).toBe('timeout');
    expect(fly.fake.callCount(CREATE)).toBe(1);
  });

  it('rejects a create whose min_secrets_version the app does not have yet (400, not retried)', async () => {
    const app = await newApp();
    const error = await failure(fly.client.createMachine(app, { ...machineRequest(), min_secrets_version: 99 }));
    expect([error.kind, error.status]).toEqual(['rejected', 400]);
    expect(fly.fake.callCount(CREATE)).toBe(1);
  });

  it('classifies a capacity failure by Fly\'s status field, and does not repeat the create', async () => {
    const app = await newApp();
    fly.fake.setFaults({ failNext: 1, errorStatuses: [412], flyStatus: 'insufficient_capacity', routes: [CREATE] });
    const error = await failure(fly.client.createMachine(app, machineRequest()));
    expect([error.kind, error.status, error.flyStatus]).toEqual(['capacity', 412, 'insufficient_capacity']);
    expect(fly.fake.callCount(CREATE)).toBe(1);
  });

  it('keeps a burst within Fly\'s limits: no 429 from the fake', async () => {
    const app = await newApp();
    const { id } = await fly.client.createMachine(app, machineRequest());
    fly.fake.resetCounts();
    await Promise.all(Array.from({ length: 14 }, () => fly.client.getMachine(app, id!)));
    await Promise.all(Array.from({ length: 4 }, () => fly.client.listEvents(app, id!)));
    expect(fly.fake.callCount(GET)).toBe(14);
    expect(fly.fake.rateLimited).toBe(0);
  });

  it('the fake does enforce the limits on a client without one', async () => {
    const app = await newApp();
    const { id } = await fly.client.createMachine(app, machineRequest());
    const statuses = await Promise.all(
      Array.from({ length: 14 }, async () => {
        const res = await fetch(`${fly.fake.url}/v1/apps/${app}/machines/${id}`, { headers: { authorization: `Bearer ${'fo1_test-token-0123456789'}` } });
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(11);
  });

  it('logs Fly\'s request id and never the token', async () => {
    await newApp();
    const line = fly.logs.lines.map((l) => JSON.parse(l) as { fly?: { requestId?: string } }).find((l) => l.fly?.requestId);
    expect(line?.fly?.requestId).toMatch(/^01[0-9a-f]{24}$/);
    expect(fly.logs.text()).not.toContain('test-token-0123456789');
  });
});
