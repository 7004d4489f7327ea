import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamFixture, jsonInit, type TeamFixture } from '../../test/accounts.ts';
import { createDeploymentWorld, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { runSecurityBattery } from '../../test/security.ts';

/** Issue 13 item 7: the team's admission policy is set by team admins, shown, audited and applied to every deploy. */
let world: DeploymentWorld;
let fx: TeamFixture;
const FRESH = '@acme/fresh-tools';
const SCRIPTED = '@acme/scripted-tools';

async function call(path: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await world.hangar.request(path, jsonInit(method, headers, body));
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
const teamPath = () => `/v1/teams/${fx.team.id}`;

beforeAll(async () => {
  world = await createDeploymentWorld();
  fx = await createTeamFixture(world.hangar);
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const old = new Date(Date.now() - 30 * 86_400_000).toISOString();
  world.npm.publish(FRESH, [{ version: '1.0.0', publishedAt: hourAgo }]);
  world.npm.publish(SCRIPTED, [{ version: '1.0.0', publishedAt: old, scripts: { postinstall: 'node steal.js' } }]);
  const made = await call('/v1/templates', 'POST', fx.globalAdmin.keyHeaders, { slug: 'fresh', name: 'Fresh', package: `npm:${FRESH}@^1.0.0`, fields: [] });
  expect(made.status).toBe(201);
});
afterAll(async () => world.close());

describe('team admission policy', () => {
  it('GET /v1/teams/{team} shows the defaults', async () => {
    const res = await call(teamPath(), 'GET', fx.viewer.keyHeaders);
    expect(res.status).toBe(200);
    expect(res.json.policy).toEqual({ rejectInstallScripts: false, rejectYoungerThanHours: 0, rejectTyposquats: false });
  });

  it('under the default policy a young or scripted package deploys (with warnings)', async () => {
    expect((await call(`${teamPath()}/deployments`, 'POST', fx.member.keyHeaders, { name: 'fresh-ok', package: `npm:${FRESH}@1.0.0` })).status).toBe(202);
  });

  it('members cannot change it (403), bad switches are 400, and neither changes anything', async () => {
    const denied = await call(teamPath(), 'PATCH', fx.member.keyHeaders, { policy: { rejectInstallScripts: true } });
    expect(denied.status).toBe(403);
    expect((await call(teamPath(), 'PATCH', fx.admin.keyHeaders, { policy: { rejectYoungerThanHours: -1 } })).status).toBe(400);
    expect((await call(teamPath(), 'PATCH', fx.admin.keyHeaders, { policy: { allowEverything: true } })).status).toBe(400);
    // A team admin may set the policy but not rename the team (the owner's call).
    expect((await call(teamPath(), 'PATCH', fx.admin.keyHeaders, { name: 'Renamed' })).status).toBe(403);
    expect((await call(teamPath(), 'GET', fx.viewer.keyHeaders)).json.policy.rejectInstallScripts).toBe(false);
  });

  it('a team admin sets it; the change is audited and shown', async () => {
    const res = await call(teamPath(), 'PATCH', fx.admin.keyHeaders, { policy: { rejectInstallScripts: true, rejectYoungerThanHours: 48 } });
    expect(res.status).toBe(200);
    expect(res.json.policy).toEqual({ rejectInstallScripts: true, rejectYoungerThanHours: 48, rejectTyposquats: false });
    // Partial updates keep the other switches.
    const more = await call(teamPath(), 'PATCH', fx.owner.keyHeaders, { policy: { rejectTyposquats: true } });
    expect(more.json.policy).toEqual({ rejectInstallScripts: true, rejectYoungerThanHours: 48, rejectTyposquats: true });
    const audit = await world.hangar.services.db.auditEntry.findMany({ where: { teamId: fx.team.id, action: 'team.policy.update' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actorUserId, a.data])).toEqual([
      [fx.admin.user.id, { from: { rejectInstallScripts: false, rejectYoungerThanHours: 0, rejectTyposquats: false }, to: { rejectInstallScripts: true, rejectYoungerThanHours: 48, rejectTyposquats: false } }],
      [fx.owner.user.id, { from: { rejectInstallScripts: true, rejectYoungerThanHours: 48, rejectTyposquats: false }, to: { rejectInstallScripts: true, rejectYoungerThanHours: 48, rejectTyposquats: true } }],
    ]);
  });

  it('every deploy is judged by it: package deploys and template deploys are 422, nothing is stored', async () => {
    const before = await world.hangar.services.db.deployment.count({ where: { teamId: fx.team.id } });
    const young = await call(`${teamPath()}/deployments`, 'POST', fx.member.keyHeaders, { name: 'fresh-no', package: `npm:${FRESH}@1.0.0` });
    expect(young.status).toBe(422);
    expect(young.json.error.code).toBe('recently_published');
    const scripted = await call(`${teamPath()}/deployments`, 'POST', fx.member.keyHeaders, { name: 'scripted-no', package: `npm:${SCRIPTED}@1.0.0` });
    expect(scripted.status).toBe(422);
    expect(scripted.json.error.code).toBe('install_scripts');
    const template = await call(`${teamPath()}/deployments`, 'POST', fx.member.keyHeaders, { name: 'fresh-template', template: 'fresh' });
    expect(template.status).toBe(422);
    expect(template.json.error.code).toBe('recently_published');
    expect(await world.hangar.services.db.deployment.count({ where: { teamId: fx.team.id } })).toBe(before);
    // Another team is not bound by this team's policy.
    expect((await call(`/v1/teams/${fx.outsider.team.id}/deployments`, 'POST', fx.outsider.keyHeaders, { name: 'fresh-there', template: 'fresh' })).status).toBe(202);
  });
});

runSecurityBattery('PATCH /v1/teams/{team} (policy)', {
  hangar: () => world.hangar,
  tooNarrowScopes: ['read'],
  request: (f) => ({ method: 'PATCH', path: `/v1/teams/${f.team.id}`, body: { policy: { rejectTyposquats: true } } }),
});
