import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, jsonInit, signUpUser, type TestUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import type { CredentialView } from './schemas.ts';

/**
 * Credentials through the whole path: stored by the API, referenced by name in a deployment, resolved by
 * the launcher (the deploying user's credential over the team's), booted on the fake Fly. Also what a
 * value change does to a running machine.
 */

let world: DeploymentWorld;
let member: TestUser;
const ids: { byOwner: string; byMember: string } = { byOwner: '', byMember: '' };

beforeAll(async () => {
  world = await createDeploymentWorld();
  member = await signUpUser(world.hangar, { verified: true });
  await addMember(world.hangar, world.owner.team.id, member.user.id, 'member');
});
afterAll(async () => {
  await world.close();
});

const call = (path: string, method: string, headers: Record<string, string>, body?: unknown) => world.hangar.request(path, jsonInit(method, headers, body));
const teamCreds = () => `/v1/teams/${world.owner.team.id}/credentials`;

function findMachine(deploymentId: string) {
  const machines = world.fly.machines(`hangar-${world.owner.team.id.replace(/_/g, '-')}`);
  return machines.find((m) => m.config.metadata?.hangar_deployment === deploymentId);
}

function machineOf(deploymentId: string) {
  const machine = findMachine(deploymentId);
  if (!machine) throw new Error(`no machine for ${deploymentId}`);
  return machine;
}

async function deployment(id: string): Promise<{ state: string; generation?: number }> {
  return (await (await world.hangar.request(`/v1/deployments/${id}`, { headers: world.owner.keyHeaders })).json()) as { state: string };
}

async function settledRunning(id: string, generation: number): Promise<void> {
  await world.settle(async () => findMachine(id)?.config.metadata?.hangar_generation === String(generation) && (await deployment(id)).state === 'running');
}

async function deploy(user: TestUser, name: string): Promise<string> {
  const res = await call(`/v1/teams/${world.owner.team.id}/deployments`, 'POST', user.keyHeaders, {
    name,
    package: `npm:${TEST_PACKAGE}@1.1.0`,
    secrets: { API_TOKEN: { credential: 'SHARED_TOKEN' }, INLINE_TOKEN: { value: `inline-value-of-${name}` } },
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe('user credential over team credential, through the API', () => {
  it('boots the deploying user’s value; a member without one gets the team’s', async () => {
    expect((await call(teamCreds(), 'POST', world.owner.keyHeaders, { name: 'SHARED_TOKEN', value: 'team-value-v1' })).status).toBe(201);
    expect((await call('/v1/me/credentials', 'POST', world.owner.keyHeaders, { name: 'SHARED_TOKEN', value: 'owner-user-value-v1' })).status).toBe(201);
    ids.byOwner = await deploy(world.owner, 'by-owner');
    ids.byMember = await deploy(member, 'by-member');
    await settledRunning(ids.byOwner, 1);
    await settledRunning(ids.byMember, 1);
    expect(machineOf(ids.byOwner).bootEnv).toMatchObject({ API_TOKEN: 'owner-user-value-v1', INLINE_TOKEN: 'inline-value-of-by-owner' });
    expect(machineOf(ids.byMember).bootEnv).toMatchObject({ API_TOKEN: 'team-value-v1', INLINE_TOKEN: 'inline-value-of-by-member' });
    expect(JSON.stringify(machineOf(ids.byOwner).config)).not.toMatch(/value-v1|inline-value/);
  });

  it('records which deployment last used each credential, and never lists inline secrets', async () => {
    const team = (await (await call(teamCreds(), 'GET', member.keyHeaders)).json()) as { data: CredentialView[] };
    expect(team.data).toEqual([expect.objectContaining({ name: 'SHARED_TOKEN', scope: 'team', value: '*****', lastUsedBy: ids.byMember })]);
    expect(team.data[0]?.lastUsedAt).not.toBeNull();
    const mine = (await (await call('/v1/me/credentials', 'GET', world.owner.keyHeaders)).json()) as { data: CredentialView[] };
    expect(mine.data).toEqual([expect.objectContaining({ name: 'SHARED_TOKEN', scope: 'user', lastUsedBy: ids.byOwner })]);
    expect(await world.hangar.services.db.credential.count({ where: { scope: 'deployment', name: 'INLINE_TOKEN' } })).toBe(2);
    expect((await call(`${teamCreds()}/INLINE_TOKEN`, 'DELETE', world.owner.keyHeaders)).status).toBe(404);
  });

  it('a new team value reaches no running machine until a restart (or a redeploy) boots it again', async () => {
    expect((await call(`${teamCreds()}/SHARED_TOKEN`, 'PUT', world.owner.keyHeaders, { value: 'team-value-v2' })).status).toBe(200);
    await world.settle(async () => true);
    expect(machineOf(ids.byMember).bootEnv?.API_TOKEN).toBe('team-value-v1');
    // A restart the user asks for pushes the current values, then reboots the machine (Fly reads secrets at boot).
    const RESTART = 'POST /v1/apps/{app_name}/machines/{machine_id}/restart';
    const restartsBefore = world.fly.callCount(RESTART);
    const bootBefore = machineOf(ids.byMember).bootEnv;
    expect((await call(`/v1/deployments/${ids.byMember}/restart`, 'POST', member.keyHeaders)).status).toBe(202);
    await world.settle(async () => world.fly.callCount(RESTART) > restartsBefore && (await deployment(ids.byMember)).state === 'running');
    expect(machineOf(ids.byMember).bootEnv).not.toBe(bootBefore); // it did boot again
    expect(machineOf(ids.byMember).bootEnv?.API_TOKEN).toBe('team-value-v2');
    // A configuration change (new generation) resolves and pushes the secrets again too.
    expect((await call(`/v1/deployments/${ids.byMember}`, 'PATCH', member.keyHeaders, { args: [] })).status).toBe(202);
    await settledRunning(ids.byMember, 2);
    expect(machineOf(ids.byMember).bootEnv?.API_TOKEN).toBe('team-value-v2');
    // The owner's own credential still wins over the new team value.
    expect((await call(`/v1/deployments/${ids.byOwner}`, 'PATCH', world.owner.keyHeaders, { args: [] })).status).toBe(202);
    await settledRunning(ids.byOwner, 2);
    expect(machineOf(ids.byOwner).bootEnv?.API_TOKEN).toBe('owner-user-value-v1');
  });

  it('falls back to the team value once the user credential is deleted (at the next launch)', async () => {
    expect((await call('/v1/me/credentials/SHARED_TOKEN', 'DELETE', world.owner.keyHeaders)).status).toBe(204);
    expect((await call(`/v1/deployments/${ids.byOwner}`, 'PATCH', world.owner.keyHeaders, { args: [] })).status).toBe(202);
    await settledRunning(ids.byOwner, 3);
    expect(machineOf(ids.byOwner).bootEnv?.API_TOKEN).toBe('team-value-v2');
    expect(world.fly.violations).toEqual([]);
  });
});
