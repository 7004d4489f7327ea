import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { updateDeployment } from './service.ts';

let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld();
});
afterAll(async () => {
  await world.close();
});

interface DeploymentBody {
  id: string;
  state: string;
  desiredState: string;
  version: string;
  package: string;
  secrets: string[];
  mcpUrl: string;
  flags: unknown[];
  restartCount: number;
}

async function getDeployment(id: string): Promise<DeploymentBody> {
  const res = await world.hangar.request(`/v1/deployments/${id}`, { headers: world.owner.keyHeaders });
  expect(res.status).toBe(200);
  return (await res.json()) as DeploymentBody;
}

async function stateIs(id: string, state: string): Promise<boolean> {
  return (await getDeployment(id)).state === state;
}

function machinesOf(teamId: string) {
  return world.fly.machines(`hangar-${teamId.replace(/_/g, '-')}`);
}

describe('deployment lifecycle on the fake Fly Machines API', () => {
  let id: string;

  it('accepts a deployment (202), pins the version, and records intent only', async () => {
    await world.hangar.services.db.credential.create({
      data: { id: 'cred_lifecycle1', scope: 'team', teamId: world.owner.team.id, name: 'ACME_TOKEN', ...world.hangar.services.vault.encrypt('acme-canary-value-0001') },
    });
    const res = await world.deploy(world.owner, {
      name: 'tools',
      package: `npm:${TEST_PACKAGE}@^1.0.0`,
      env: { LOG_LEVEL: 'info' },
      secrets: { ACME_TOKEN: { credential: 'ACME_TOKEN' }, INLINE_SECRET: { value: 'inline-canary-value-0002' } },
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as DeploymentBody;
    id = body.id;
    expect(body).toMatchObject({ state: 'pending', desiredState: 'running', version: '1.1.0', package: `npm:${TEST_PACKAGE}@1.1.0`, secrets: ['ACME_TOKEN', 'INLINE_SECRET'] });
    expect(body.mcpUrl).toBe(`http://localhost:8080/v1/deployments/${id}/mcp`);
    expect(JSON.stringify(body)).not.toContain('canary-value');
    expect(world.fly.totalCalls()).toBe(0);
  });

  it('launches it in an app of the team’s own, with secrets as app secrets only, and reaches running', async () => {
    await world.settle(() => stateIs(id, 'running'));
    const machines = machinesOf(world.owner.team.id);
    expect(machines).toHaveLength(1);
    const machine = machines[0]!;
    expect(machine.config.metadata).toMatchObject({ hangar_deployment: id, hangar_team: world.owner.team.id });
    expect(JSON.stringify(machine.config)).not.toContain('canary-value');
    const app = world.fly.app(`hangar-${world.owner.team.id.replace(/_/g, '-')}`)!;
    expect(app.network).toContain(app.name);
    expect(Object.values(world.fly.secrets(app.name))).toEqual(expect.arrayContaining(['acme-canary-value-0001', 'inline-canary-value-0002']));
    expect(machine.bootEnv).toMatchObject({ ACME_TOKEN: 'acme-canary-value-0001', INLINE_SECRET: 'inline-canary-value-0002', LOG_LEVEL: 'info' });
    expect(machine.bootEnv?.HANGAR_RUNNER_TOKEN).toMatch(/^hrt_/);
    expect(world.fly.violations).toEqual([]);
  });

  it('lists and reads events with reasons', async () => {
    const list = await world.hangar.request(`/v1/teams/${world.owner.team.id}/deployments?state=running`, { headers: world.owner.keyHeaders });
    expect(((await list.json()) as { data: Array<{ id: string }> }).data.map((d) => d.id)).toEqual([id]);
    const events = await world.hangar.request(`/v1/deployments/${id}/events`, { headers: world.owner.keyHeaders });
    const kinds = ((await events.json()) as { data: Array<{ type: string; toState: string | null }> }).data.map((e) => `${e.type}:${e.toState ?? ''}`);
    expect(kinds[0]).toBe('created:pending');
    expect(kinds).toContain('machine_created:');
    expect(kinds.at(-1)).toBe('state_changed:running');
  });

  it('restarts a machine whose check goes critical within K+1 passes', async () => {
    const machine = machinesOf(world.owner.team.id)[0]!;
    const app = `hangar-${world.owner.team.id.replace(/_/g, '-')}`;
    world.fly.resetCounts();
    world.fly.setCheck(app, machine.id, 'critical');
    const K = 3;
    let passes = 0;
    await world.settle(async () => world.fly.callCount('POST /v1/apps/{app_name}/machines/{machine_id}/restart') > 0 || (passes++, false), K + 1);
    expect(passes).toBeLessThanOrEqual(K + 1);
    const dep = await getDeployment(id);
    expect(dep.restartCount).toBe(1);
    await world.settle(() => stateIs(id, 'running'));
  });

  it('stops, starts and restarts on request', async () => {
    const stop = await world.hangar.request(`/v1/deployments/${id}/stop`, { method: 'POST', headers: world.owner.keyHeaders });
    expect(stop.status).toBe(202);
    await world.settle(() => stateIs(id, 'stopped'));
    expect(machinesOf(world.owner.team.id)[0]?.state).toBe('stopped');
    expect((await world.hangar.request(`/v1/deployments/${id}/start`, { method: 'POST', headers: world.owner.keyHeaders })).status).toBe(202);
    await world.settle(() => stateIs(id, 'running'));
    world.fly.resetCounts();
    expect((await world.hangar.request(`/v1/deployments/${id}/restart`, { method: 'POST', headers: world.owner.keyHeaders })).status).toBe(202);
    await world.settle(async () => world.fly.callCount('POST /v1/apps/{app_name}/machines/{machine_id}/restart') === 1 && (await stateIs(id, 'running')));
  });

  it('rolls the machine to a new version on PATCH', async () => {
    const res = await world.hangar.request(`/v1/deployments/${id}`, jsonInit('PATCH', world.owner.keyHeaders, { package: `npm:${TEST_PACKAGE}@1.0.0` }));
    expect(res.status).toBe(202);
    expect(((await res.json()) as DeploymentBody).version).toBe('1.0.0');
    await world.settle(async () => machinesOf(world.owner.team.id)[0]?.config.metadata?.hangar_generation === '2' && (await stateIs(id, 'running')));
    expect(machinesOf(world.owner.team.id)).toHaveLength(1);
    expect(JSON.stringify(machinesOf(world.owner.team.id)[0]!.config.init)).toContain(`${TEST_PACKAGE}@1.0.0`);
  });

  it('takes a PATCH made from a row read before a reconciler pass (passes do not change the intent version)', async () => {
    const { services } = world.hangar;
    const stale = await services.db.deployment.findUniqueOrThrow({ where: { id } });
    world.clock.advance(60_000);
    expect((await services.reconciler.passOnce()).claimed).toBeGreaterThan(0);
    const principal = {
      userId: world.owner.user.id,
      email: world.owner.user.email,
      globalRole: 'user' as const,
      emailVerified: true,
      via: 'api_key' as const,
      sessionId: undefined,
      keyId: world.owner.apiKeyId,
      scopes: new Set(['write'] as const),
      teamId: undefined,
    };
    const ctx = { services, principal, actor: { actorUserId: principal.userId, actorKeyId: principal.keyId, ip: null, requestId: null } };
    const updated = await updateDeployment(ctx, stale, { args: [] });
    expect(updated.generation).toBe(stale.generation + 1);
    await world.settle(async () => (await getDeployment(id)).state === 'running' && machinesOf(world.owner.team.id)[0]?.config.metadata?.hangar_generation === String(updated.generation));
  });

  it('answers another team exactly like a missing deployment, for every verb', async () => {
    const stranger = await signUpUser(world.hangar, { verified: true });
    const calls: Array<[string, string, unknown?]> = [
      ['GET', `/v1/deployments/${id}`],
      ['PATCH', `/v1/deployments/${id}`, { args: [] }],
      ['DELETE', `/v1/deployments/${id}`],
      ['POST', `/v1/deployments/${id}/stop`],
      ['POST', `/v1/deployments/${id}/start`],
      ['POST', `/v1/deployments/${id}/restart`],
      ['GET', `/v1/deployments/${id}/events`],
    ];
    for (const [method, path, body] of calls) {
      const theirs = await world.hangar.request(path, jsonInit(method, stranger.keyHeaders, body));
      const missing = await world.hangar.request(path.replace(id, 'dep_doesnotexist0000'), jsonInit(method, stranger.keyHeaders, body));
      expect([method, path, theirs.status]).toEqual([method, path, 404]);
      const a = (await theirs.json()) as { error: { code: string; message: string } };
      const b = (await missing.json()) as { error: { code: string; message: string } };
      expect({ code: a.error.code, message: a.error.message }).toEqual({ code: b.error.code, message: b.error.message });
    }
    expect((await getDeployment(id)).state).toBe('running');
  });

  it('deletes: destroys the machine and the secrets, and the team app with its last deployment', async () => {
    const app = `hangar-${world.owner.team.id.replace(/_/g, '-')}`;
    const res = await world.hangar.request(`/v1/deployments/${id}`, { method: 'DELETE', headers: world.owner.keyHeaders });
    expect(res.status).toBe(202);
    expect(((await res.json()) as DeploymentBody).desiredState).toBe('deleted');
    await world.settle(async () => (await world.hangar.request(`/v1/deployments/${id}`, { headers: world.owner.keyHeaders })).status === 404);
    expect(world.fly.app(app)).toBeUndefined();
    expect(await world.hangar.services.db.credential.count({ where: { deploymentId: id } })).toBe(0);
    const team = await world.hangar.services.db.team.findUniqueOrThrow({ where: { id: world.owner.team.id } });
    expect(team.flyAppName).toBeNull();
  });
});
