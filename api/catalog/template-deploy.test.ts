import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamFixture, jsonInit, type TeamFixture } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';

let world: DeploymentWorld;
let fx: TeamFixture;
const TEAM_SECRET = 'team-shared-secret-7f3a9c';
const USER_SECRET = 'member-token-c41d2e';
const INLINE_SECRET = 'inline-token-88b0a1';

async function call(path: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await world.hangar.request(path, jsonInit(method, headers, body));
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

const deploy = (body: Record<string, unknown>, who = fx.member) => call(`/v1/teams/${fx.team.id}/deployments`, 'POST', who.keyHeaders, body);
const teamValues = () => `/v1/teams/${fx.team.id}/templates/tools/values`;
const get = async (id: string) => (await call(`/v1/deployments/${id}`, 'GET', fx.owner.keyHeaders)).json;
const appName = () => world.appOf(fx.team.id);

beforeAll(async () => {
  world = await createDeploymentWorld();
  fx = await createTeamFixture(world.hangar);
  const made = await call('/v1/templates', 'POST', fx.globalAdmin.keyHeaders, {
    slug: 'tools',
    name: 'Tools',
    package: `npm:${TEST_PACKAGE}@^1.0.0`,
    args: ['--stdio'],
    fields: [
      { name: 'TOOLS_TOKEN', type: 'secret', required: true, description: 'token', tier: 'user' },
      { name: 'TOOLS_REGION', type: 'string', required: true, description: 'region', tier: 'team' },
      { name: 'TOOLS_VERBOSE', type: 'boolean', required: false, default: false, description: 'verbose', tier: 'user' },
    ],
  });
  expect(made.status).toBe(201);
});
afterAll(async () => world.close());

describe('deploying a template', () => {
  let id: string;

  it('accepts a deployment with missing required fields in awaiting_config, and never launches it', async () => {
    const res = await deploy({ name: 'tools-one', template: 'tools' });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ state: 'awaiting_config', template: 'tools', missingFields: ['TOOLS_TOKEN', 'TOOLS_REGION'], package: `npm:${TEST_PACKAGE}@1.1.0`, args: ['--stdio'], env: { TOOLS_VERBOSE: 'false' }, secrets: [] });
    id = res.json.id;
    for (let i = 0; i < 3; i += 1) {
      world.clock.advance(world.settings.intervalMs);
      await world.hangar.services.reconciler.passOnce();
    }
    expect((await get(id)).state).toBe('awaiting_config');
    expect(world.fly.machines(appName())).toEqual([]);
    expect((await call(`/v1/deployments/${id}/start`, 'POST', fx.member.keyHeaders)).json.error.code).toBe('awaiting_config');
  });

  it('moves to pending when the last field is set (team then user tier) and then runs, secret only in Fly app secrets', async () => {
    expect((await call(teamValues(), 'PUT', fx.admin.keyHeaders, { values: { TOOLS_REGION: 'eu' } })).status).toBe(200);
    expect(await get(id)).toMatchObject({ state: 'awaiting_config', missingFields: ['TOOLS_TOKEN'], env: { TOOLS_REGION: 'eu', TOOLS_VERBOSE: 'false' } });
    expect((await call('/v1/me/templates/tools/values', 'PUT', fx.member.keyHeaders, { values: { TOOLS_TOKEN: USER_SECRET } })).status).toBe(200);
    // Only intent was written: the deployment is due at once, and the reconciler alone moves its state.
    expect(await get(id)).toMatchObject({ state: 'awaiting_config', missingFields: [], secrets: ['TOOLS_TOKEN'] });
    await world.settle(async () => (await get(id)).state === 'running');
    const machine = world.fly.machines(appName())[0]!;
    expect(machine.bootEnv).toMatchObject({ TOOLS_TOKEN: USER_SECRET, TOOLS_REGION: 'eu', TOOLS_VERBOSE: 'false' });
    expect(JSON.stringify(machine.config)).not.toContain(USER_SECRET);
    expect(Object.values(world.fly.secrets(appName()))).toContain(USER_SECRET);
    const events = (await call(`/v1/deployments/${id}/events`, 'GET', fx.member.keyHeaders)).json.data.map((e: { toState: string | null }) => e.toState);
    expect(events).toEqual(expect.arrayContaining(['awaiting_config', 'provisioning', 'running']));
  });

  it('rolls the deployments that use a team value when it changes, and not for an unrelated change', async () => {
    expect((await call(teamValues(), 'PUT', fx.admin.keyHeaders, { values: { TOOLS_REGION: 'us' } })).status).toBe(200);
    expect((await get(id)).generation).toBe(2);
    await world.settle(async () => world.fly.machines(appName())[0]?.config.metadata?.hangar_generation === '2' && (await get(id)).state === 'running');
    expect(world.fly.machines(appName())[0]!.bootEnv).toMatchObject({ TOOLS_REGION: 'us', TOOLS_TOKEN: USER_SECRET });
    // A team token is overridden by the member's own value: nothing this deployment uses changes.
    expect((await call(teamValues(), 'PUT', fx.admin.keyHeaders, { values: { TOOLS_TOKEN: TEAM_SECRET } })).status).toBe(200);
    expect((await get(id)).generation).toBe(2);
  });

  it('takes per-deployment values (a locked team field refuses them) and stores inline secrets in the vault', async () => {
    expect((await call(teamValues(), 'PUT', fx.admin.keyHeaders, { values: { TOOLS_VERBOSE: false }, locked: { TOOLS_VERBOSE: true } })).status).toBe(200);
    const generation = (await get(id)).generation;
    // The member's own value does not override a locked team value: nothing rolls.
    expect((await call('/v1/me/templates/tools/values', 'PUT', fx.member.keyHeaders, { values: { TOOLS_VERBOSE: true } })).status).toBe(200);
    expect(await get(id)).toMatchObject({ generation, env: { TOOLS_VERBOSE: 'false' } });
    const locked = await deploy({ name: 'tools-locked', template: 'tools', values: { TOOLS_VERBOSE: true } });
    expect([locked.status, locked.json.error.code, locked.json.error.issues]).toEqual([422, 'field_locked', [{ path: 'values.TOOLS_VERBOSE', message: 'the team locked this field' }]]);
    const teamTier = await deploy({ name: 'tools-tier', template: 'tools', values: { TOOLS_REGION: 'ap' } });
    expect(teamTier.json.error.issues).toEqual([{ path: 'values.TOOLS_REGION', message: 'may only be set at the team tier' }]);
    const typeBad = await deploy({ name: 'tools-bad', template: 'tools', values: { TOOLS_TOKEN: '' } });
    expect(typeBad.json.error.issues[0].path).toBe('values.TOOLS_TOKEN');
    const inline = await deploy({ name: 'tools-two', template: 'tools', values: { TOOLS_TOKEN: INLINE_SECRET } });
    expect(inline.json).toMatchObject({ state: 'pending', missingFields: [], env: { TOOLS_REGION: 'us', TOOLS_VERBOSE: 'false' }, secrets: ['TOOLS_TOKEN'] });
    await world.settle(async () => (await get(inline.json.id)).state === 'running');
    const machine = world.fly.machines(appName()).find((m) => m.config.metadata?.hangar_deployment === inline.json.id);
    expect(machine?.bootEnv).toMatchObject({ TOOLS_TOKEN: INLINE_SECRET, TOOLS_VERBOSE: 'false' });
    const cred = await world.hangar.services.db.credential.findFirstOrThrow({ where: { deploymentId: inline.json.id } });
    expect([cred.name, cred.ciphertext.includes(INLINE_SECRET)]).toEqual(['TOOLS_TOKEN', false]);
    const patch = await call(`/v1/deployments/${inline.json.id}`, 'PATCH', fx.member.keyHeaders, { env: { X: '1' } });
    expect([patch.status, patch.json.error.code]).toEqual([409, 'template_deployment']);
  });

  it('a package and a template together, or values without a template, are 400', async () => {
    expect((await deploy({ name: 'both', template: 'tools', package: `npm:${TEST_PACKAGE}` })).status).toBe(400);
    expect((await deploy({ name: 'vals', package: `npm:${TEST_PACKAGE}`, values: { A: 'b' } })).status).toBe(400);
    expect((await deploy({ name: 'envs', template: 'tools', env: { A: 'b' } })).status).toBe(400);
    expect((await deploy({ name: 'ghost', template: 'no-such' })).json.error.code).toBe('template_not_found');
  });

  it('a member never reads the team secret through any endpoint', async () => {
    const paths = [
      teamValues(),
      '/v1/me/templates/tools/values',
      '/v1/templates/tools',
      '/v1/templates?limit=200',
      `/v1/teams/${fx.team.id}/deployments`,
      `/v1/deployments/${id}`,
      `/v1/deployments/${id}/events`,
      `/v1/teams/${fx.team.id}/credentials`,
      `/v1/teams/${fx.team.id}/audit`,
      '/v1/me/export',
    ];
    for (const path of paths) {
      const res = await call(path, 'GET', fx.member.keyHeaders);
      expect([path, res.status === 200 || res.status === 403]).toEqual([path, true]);
      expect(res.text).not.toContain(TEAM_SECRET);
    }
    const team = (await call(teamValues(), 'GET', fx.member.keyHeaders)).json.fields.find((f: { name: string }) => f.name === 'TOOLS_TOKEN');
    expect(team).toMatchObject({ set: true, value: '*****' });
    expect(world.hangar.logs.text()).not.toContain(TEAM_SECRET);
    const entries = await world.hangar.services.db.auditEntry.findMany({ where: { resourceType: 'template' } });
    const audit = JSON.stringify(entries, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(audit).toContain('template.values.team');
    expect(audit).not.toContain(TEAM_SECRET);
  });

  it('deletes a deployment still awaiting configuration', async () => {
    expect((await call(teamValues(), 'PUT', fx.admin.keyHeaders, { values: { TOOLS_TOKEN: null } })).status).toBe(200);
    const res = await deploy({ name: 'tools-wait', template: 'tools' }, fx.admin);
    expect(res.json.state).toBe('awaiting_config');
    expect((await call(`/v1/deployments/${res.json.id}`, 'DELETE', fx.admin.keyHeaders)).status).toBe(202);
    await world.settle(async () => (await world.hangar.services.db.deployment.count({ where: { id: res.json.id } })) === 0);
  });
});
