import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamFixture, jsonInit, type TeamFixture } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { runSecurityBattery } from '../../test/security.ts';

let world: DeploymentWorld;
let fx: TeamFixture;

const FIELDS = [
  { name: 'API_TOKEN', type: 'secret', required: true, description: 'token', tier: 'user' },
  { name: 'API_URL', type: 'url', required: false, default: 'https://example.com/api', description: 'root', tier: 'team' },
  { name: 'PAGE_SIZE', type: 'number', required: false, default: 20, description: 'size', tier: 'user' },
  { name: 'VERBOSE', type: 'boolean', required: false, description: 'log more', tier: 'user' },
  { name: 'MODE', type: 'string', required: false, default: 'fast', description: 'fixed', tier: 'template' },
];

async function call(path: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await world.hangar.request(path, jsonInit(method, headers, body));
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function newTemplate(slug: string, over: Record<string, unknown> = {}): Promise<{ status: number; json: any }> {
  return call('/v1/templates', 'POST', fx.globalAdmin.keyHeaders, { slug, name: slug, description: 'test', package: `npm:${TEST_PACKAGE}@^1.0.0`, fields: FIELDS, ...over });
}

beforeAll(async () => {
  world = await createDeploymentWorld();
  fx = await createTeamFixture(world.hangar);
  expect((await newTemplate("tools")).status).toBe(201);
});
afterAll(async () => world.close());

describe('templates', () => {
  it('lists the starter catalog loaded on first start, and the new template', async () => {
    const list = await call('/v1/templates?limit=200', 'GET', fx.member.keyHeaders);
    expect(list.status).toBe(200);
    const slugs = list.json.data.map((t: { slug: string }) => t.slug);
    expect(slugs).toEqual(expect.arrayContaining(['github', 'slack', 'everything', 'filesystem', 'memory', 'sequential-thinking', 'brave-search', 'gitlab', 'tools']));
    const one = await call('/v1/templates/tools', 'GET', fx.viewer.keyHeaders);
    expect(one.json).toMatchObject({ slug: 'tools', package: `npm:${TEST_PACKAGE}@^1.0.0`, retired: false, fields: expect.arrayContaining([expect.objectContaining({ name: 'API_TOKEN', type: 'secret', tier: 'user' })]) });
    expect((await call('/v1/templates/nope', 'GET', fx.member.keyHeaders)).status).toBe(404);
    const page = await call('/v1/templates?limit=2', 'GET', fx.member.keyHeaders);
    const next = await call(`/v1/templates?limit=2&cursor=${page.json.nextCursor}`, 'GET', fx.member.keyHeaders);
    expect(next.json.data[0].slug > page.json.data[1].slug).toBe(true);
    expect((await call('/v1/templates?cursor=%25%25', 'GET', fx.member.keyHeaders)).status).toBe(400);
  });

  it('refuses bad templates: duplicate slug, unknown package, bad fields, internal URL default', async () => {
    expect((await newTemplate('tools')).json.error.code).toBe('template_exists');
    const missing = await newTemplate('ghost', { package: 'npm:@acme/no-such-package@^1.0.0' });
    expect(missing.status).toBe(422);
    const secretDefault = await newTemplate('bad-fields', { fields: [{ name: 'T', type: 'secret', default: 'x', description: '' }] });
    expect(secretDefault.status).toBe(400);
    expect(secretDefault.json.error.issues).toEqual([{ path: 'fields[0].default', message: 'a secret field cannot have a default' }]);
    const rebind = await newTemplate('rebind', { fields: [{ name: 'U', type: 'url', default: 'https://rebind.example.net/', description: '' }] });
    expect(rebind.status).toBe(422);
    expect(rebind.json.error.code).toBe('launch_spec_rejected');
    expect((await call('/v1/templates/ghost', 'GET', fx.member.keyHeaders)).status).toBe(404);
  });

  it('only global admins write; admins update and retire, retired ones refuse deployments', async () => {
    expect((await call('/v1/templates', 'POST', fx.owner.keyHeaders, { slug: 'mine', name: 'x', package: `npm:${TEST_PACKAGE}` })).status).toBe(403);
    expect((await newTemplate('old')).status).toBe(201);
    const patched = await call('/v1/templates/old', 'PATCH', fx.globalAdmin.keyHeaders, { name: 'Old one', fields: [] });
    expect(patched.json).toMatchObject({ name: 'Old one', fields: [] });
    expect((await call('/v1/templates/old', 'DELETE', fx.globalAdmin.keyHeaders)).status).toBe(204);
    expect((await call('/v1/templates', 'GET', fx.member.keyHeaders)).json.data.map((t: { slug: string }) => t.slug)).not.toContain('old');
    expect((await call('/v1/templates?retired=true&limit=200', 'GET', fx.member.keyHeaders)).json.data.map((t: { slug: string }) => t.slug)).toContain('old');
    const dep = await call(`/v1/teams/${fx.team.id}/deployments`, 'POST', fx.member.keyHeaders, { name: 'from-old', template: 'old' });
    expect([dep.status, dep.json.error.code]).toEqual([422, 'template_retired']);
    expect((await call('/v1/templates/missing', 'PATCH', fx.globalAdmin.keyHeaders, { name: 'x' })).status).toBe(404);
    const audit = await world.hangar.services.db.auditEntry.findMany({ where: { resourceType: 'template' }, select: { action: true } });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['template.create', 'template.update', 'template.retire']));
  });
});

describe('team and user values', () => {
  const teamValues = () => `/v1/teams/${fx.team.id}/templates/tools/values`;

  it('team admins set values (secrets masked) and locks; members and viewers read them masked', async () => {
    const put = await call(teamValues(), 'PUT', fx.admin.keyHeaders, { values: { API_TOKEN: 'team-token-value', API_URL: 'https://mcp.example.org/v1', PAGE_SIZE: '50' }, locked: { API_URL: true } });
    expect(put.status).toBe(200);
    const byName = Object.fromEntries(put.json.fields.map((f: { name: string }) => [f.name, f]));
    expect(byName.API_TOKEN).toMatchObject({ set: true, value: '*****', locked: false });
    expect(byName.API_URL).toMatchObject({ set: true, value: 'https://mcp.example.org/v1', locked: true });
    expect(byName.PAGE_SIZE).toMatchObject({ set: true, value: 50 });
    expect(byName.VERBOSE).toMatchObject({ set: false, value: null });
    for (const reader of [fx.member, fx.viewer]) {
      const read = await call(teamValues(), 'GET', reader.keyHeaders);
      expect(read.status).toBe(200);
      expect(JSON.stringify(read.json)).not.toContain('team-token-value');
      expect(read.json.fields.find((f: { name: string }) => f.name === 'API_TOKEN').value).toBe('*****');
    }
    expect((await call(teamValues(), 'PUT', fx.member.keyHeaders, { values: { PAGE_SIZE: 1 } })).status).toBe(403);
    const row = await world.hangar.services.db.templateValue.findFirstOrThrow({ where: { field: 'API_TOKEN', ownerId: fx.team.id } });
    expect([row.value, row.ciphertext?.startsWith('gAAAAA'), JSON.stringify(row).includes('team-token-value')]).toEqual([null, true, false]);
  });

  it('validates every field type and tier, and the URL host rules with the launcher resolver', async () => {
    const bad = async (body: unknown) => (await call(teamValues(), 'PUT', fx.admin.keyHeaders, body)).json.error;
    expect((await bad({ values: { PAGE_SIZE: 'many' } })).issues).toEqual([{ path: 'values.PAGE_SIZE', message: 'must be a finite number' }]);
    expect((await bad({ values: { VERBOSE: 'yes' } })).issues).toEqual([{ path: 'values.VERBOSE', message: 'must be true or false' }]);
    expect((await bad({ values: { API_URL: 'http://example.com' } })).issues).toEqual([{ path: 'values.API_URL', message: 'must use https' }]);
    expect((await bad({ values: { API_TOKEN: 12 } })).issues[0].path).toBe('values.API_TOKEN');
    expect((await bad({ values: { MODE: 'slow' } })).issues).toEqual([{ path: 'values.MODE', message: 'may only be set at the template tier' }]);
    expect((await bad({ values: { NOPE: 'x' } })).issues).toEqual([{ path: 'values.NOPE', message: 'not a field of this template' }]);
    expect((await bad({ locked: { VERBOSE: true } })).issues).toEqual([{ path: 'locked.VERBOSE', message: 'set a team value before locking it' }]);
    for (const host of ['rebind.example.net', 'meta.example.net', '10.0.0.1', 'unknown.invalid']) {
      const err = await bad({ values: { API_URL: `https://${host}/x` } });
      expect([err.code, err.issues[0].path]).toEqual(['url_rejected', 'values.API_URL']);
    }
    const user = await call('/v1/me/templates/tools/values', 'PUT', fx.member.keyHeaders, { values: { API_URL: 'https://example.com' } });
    expect(user.json.error.issues).toEqual([{ path: 'values.API_URL', message: 'may only be set at the team tier' }]);
  });

  it('users set their own values, masked, and clear them with null', async () => {
    const me = '/v1/me/templates/tools/values';
    const put = await call(me, 'PUT', fx.member.keyHeaders, { values: { API_TOKEN: 'member-own-token', VERBOSE: true } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ template: 'tools', scope: 'user' });
    expect(JSON.stringify(put.json)).not.toContain('member-own-token');
    const cleared = await call(me, 'PUT', fx.member.keyHeaders, { values: { VERBOSE: null } });
    expect(cleared.json.fields.find((f: { name: string }) => f.name === 'VERBOSE')).toMatchObject({ set: false, value: null });
    expect((await call(me, 'GET', fx.viewer.keyHeaders)).json.fields.every((f: { set: boolean }) => !f.set)).toBe(true);
    expect((await call('/v1/me/templates/none/values', 'GET', fx.member.keyHeaders)).status).toBe(404);
  });
});

const hangar = () => world.hangar;
runSecurityBattery('GET /v1/templates', { hangar, teamScoped: false, request: () => ({ method: 'GET', path: '/v1/templates' }) });
runSecurityBattery('GET /v1/templates/{slug}', { hangar, teamScoped: false, request: () => ({ method: 'GET', path: '/v1/templates/tools' }) });
runSecurityBattery('POST /v1/templates', { hangar, teamScoped: false, request: () => ({ method: 'POST', path: '/v1/templates', body: { slug: 'battery', name: 'b', package: `npm:${TEST_PACKAGE}` } }) });
runSecurityBattery('PATCH /v1/templates/{slug}', { hangar, teamScoped: false, request: () => ({ method: 'PATCH', path: '/v1/templates/tools', body: { name: 'x' } }) });
runSecurityBattery('DELETE /v1/templates/{slug}', { hangar, teamScoped: false, request: () => ({ method: 'DELETE', path: '/v1/templates/tools' }) });
runSecurityBattery('GET team template values', { hangar, tooNarrowScopes: ['mcp'], request: (f) => ({ method: 'GET', path: `/v1/teams/${f.team.id}/templates/tools/values` }) });
runSecurityBattery('PUT team template values', { hangar, tooNarrowScopes: ['read'], request: (f) => ({ method: 'PUT', path: `/v1/teams/${f.team.id}/templates/tools/values`, body: { values: { PAGE_SIZE: 3 } } }) });
runSecurityBattery('GET my template values', { hangar, teamScoped: false, tooNarrowScopes: ['mcp'], request: () => ({ method: 'GET', path: '/v1/me/templates/tools/values' }) });
runSecurityBattery('PUT my template values', { hangar, teamScoped: false, tooNarrowScopes: ['read'], request: () => ({ method: 'PUT', path: '/v1/me/templates/tools/values', body: { values: { PAGE_SIZE: 3 } } }) });
