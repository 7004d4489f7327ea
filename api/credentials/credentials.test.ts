import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamFixture, jsonInit, signUpUser, type TeamFixture } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';
import type { ManualClock } from '../platform/clock.ts';
import { MAX_CREDENTIAL_BYTES, type CredentialView } from './schemas.ts';

let hangar: TestHangar;
let fx: TeamFixture;
/** Every response body a test here received, so the last test can prove no value ever came back. */
const bodies: string[] = [];
/** Every value stored through the API in this file. */
const values: string[] = [];

beforeAll(async () => {
  hangar = await createTestHangar();
  fx = await createTeamFixture(hangar);
});
afterAll(async () => {
  await hangar.dispose();
});

async function req(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: unknown }> {
  if (body && typeof body === 'object' && 'value' in body && typeof body.value === 'string') values.push(body.value);
  const res = await hangar.request(path, jsonInit(method, headers, body));
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}
const errorCode = (json: unknown) => (json as { error: { code: string } }).error.code;
const teamPath = (name?: string) => `/v1/teams/${fx.team.id}/credentials${name ? `/${name}` : ''}`;
const rowOf = (where: { name: string; teamId?: string; userId?: string }) => hangar.services.db.credential.findFirstOrThrow({ where });
const auditOf = (resourceId: string) => hangar.services.db.auditEntry.findMany({ where: { resourceId }, orderBy: { id: 'asc' } });

describe('team credentials', () => {
  it('stores a value encrypted under the current key and answers metadata with a masked value', async () => {
    const res = await req('POST', teamPath(), fx.admin.keyHeaders, { name: 'GITHUB_TOKEN', value: 'ghp_team-value-0001' });
    expect(res.status).toBe(201);
    const keyId = hangar.services.vault.currentKeyId;
    const now = hangar.clock.now().toISOString();
    expect(res.json).toEqual({ name: 'GITHUB_TOKEN', scope: 'team', value: '*****', keyId, createdAt: now, updatedAt: now, lastUsedAt: null, lastUsedBy: null });
    const row = await rowOf({ name: 'GITHUB_TOKEN', teamId: fx.team.id });
    expect(row).toMatchObject({ scope: 'team', userId: null, deploymentId: null, keyId });
    expect(row.ciphertext).not.toContain('ghp_');
    expect(hangar.services.vault.decrypt(row)).toBe('ghp_team-value-0001');
    const audit = await auditOf(row.id);
    expect(audit.map((a) => [a.action, a.teamId, a.actorUserId, a.data])).toEqual([['credential.create', fx.team.id, fx.admin.user.id, { name: 'GITHUB_TOKEN', scope: 'team', keyId }]]);
  });

  it('answers 409 credential_exists for a duplicate name, leaving the stored value alone', async () => {
    const before = await rowOf({ name: 'GITHUB_TOKEN', teamId: fx.team.id });
    const res = await req('POST', teamPath(), fx.owner.keyHeaders, { name: 'GITHUB_TOKEN', value: 'another-value-0002' });
    expect(res.status).toBe(409);
    expect(errorCode(res.json)).toBe('credential_exists');
    expect(await rowOf({ name: 'GITHUB_TOKEN', teamId: fx.team.id })).toEqual(before);
  });

  it('gives one 201 and one 409 to two racing creates of the same name', async () => {
    const [a, b] = await Promise.all([
      req('POST', teamPath(), fx.admin.keyHeaders, { name: 'RACED', value: 'race-value-a' }),
      req('POST', teamPath(), fx.owner.keyHeaders, { name: 'RACED', value: 'race-value-b' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(await hangar.services.db.credential.count({ where: { teamId: fx.team.id, name: 'RACED' } })).toBe(1);
  });

  it('lets members and viewers list names (never values), paginated by name', async () => {
    await req('POST', teamPath(), fx.admin.keyHeaders, { name: 'AAA_FIRST', value: 'first-value-0003' });
    for (const caller of [fx.viewer, fx.member, fx.admin]) {
      const res = await req('GET', teamPath(), caller.keyHeaders);
      expect(res.status).toBe(200);
      const page = res.json as { data: CredentialView[]; nextCursor: string | null };
      expect(page.data.map((c) => c.name)).toEqual(['AAA_FIRST', 'GITHUB_TOKEN', 'RACED']);
      expect(page.data.every((c) => c.value === '*****' && c.scope === 'team')).toBe(true);
      expect(page.nextCursor).toBeNull();
    }
    const first = await req('GET', `${teamPath()}?limit=2`, fx.viewer.keyHeaders);
    const p1 = first.json as { data: CredentialView[]; nextCursor: string };
    expect(p1.data.map((c) => c.name)).toEqual(['AAA_FIRST', 'GITHUB_TOKEN']);
    const second = await req('GET', `${teamPath()}?limit=2&cursor=${p1.nextCursor}`, fx.viewer.keyHeaders);
    expect(second.json).toMatchObject({ data: [{ name: 'RACED' }], nextCursor: null });
    expect((await req('GET', `${teamPath()}?cursor=not*a*cursor`, fx.viewer.keyHeaders)).status).toBe(400);
  });

  it('refuses writes to members and viewers with 403 insufficient_role', async () => {
    for (const caller of [fx.member, fx.viewer]) {
      const calls = [
        await req('POST', teamPath(), caller.keyHeaders, { name: 'NOPE', value: 'nope-value' }),
        await req('PUT', teamPath('GITHUB_TOKEN'), caller.keyHeaders, { value: 'nope-value' }),
        await req('DELETE', teamPath('GITHUB_TOKEN'), caller.keyHeaders),
      ];
      expect(calls.map((c) => [c.status, errorCode(c.json)])).toEqual(Array(3).fill([403, 'insufficient_role']));
    }
    expect(await hangar.services.db.credential.count({ where: { teamId: fx.team.id, name: 'NOPE' } })).toBe(0);
    expect(hangar.services.vault.decrypt(await rowOf({ name: 'GITHUB_TOKEN', teamId: fx.team.id }))).toBe('ghp_team-value-0001');
  });

  it('replaces a value: new ciphertext, updatedAt moves, createdAt stays, audited without the value', async () => {
    const before = await rowOf({ name: 'GITHUB_TOKEN', teamId: fx.team.id });
    (hangar.clock as ManualClock).advance(60_000);
    const res = await req('PUT', teamPath('GITHUB_TOKEN'), fx.admin.keyHeaders, { value: 'ghp_team-value-0004' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: 'GITHUB_TOKEN', value: '*****', createdAt: before.createdAt.toISOString(), updatedAt: hangar.clock.now().toISOString() });
    const after = await rowOf({ name: 'GITHUB_TOKEN', teamId: fx.team.id });
    expect(after.id).toBe(before.id);
    expect(after.ciphertext).not.toBe(before.ciphertext);
    expect(hangar.services.vault.decrypt(after)).toBe('ghp_team-value-0004');
    expect((await auditOf(after.id)).map((a) => a.action)).toEqual(['credential.create', 'credential.update']);
  });

  it('answers 404 for a missing name and for a name only another team has', async () => {
    await req('POST', `/v1/teams/${fx.outsider.team.id}/credentials`, fx.outsider.keyHeaders, { name: 'OUTSIDER_ONLY', value: 'outsider-value-0005' });
    for (const name of ['MISSING', 'OUTSIDER_ONLY', 'lower-case']) {
      const put = await req('PUT', teamPath(name), fx.admin.keyHeaders, { value: 'x-value' });
      const del = await req('DELETE', teamPath(name), fx.admin.keyHeaders);
      expect([put.status, errorCode(put.json), del.status, errorCode(del.json)]).toEqual([404, 'not_found', 404, 'not_found']);
    }
    const outsiderRow = await rowOf({ name: 'OUTSIDER_ONLY', teamId: fx.outsider.team.id });
    expect(hangar.services.vault.decrypt(outsiderRow)).toBe('outsider-value-0005');
  });

  it('deletes a credential (204, audited); a second delete is 404', async () => {
    const row = await rowOf({ name: 'AAA_FIRST', teamId: fx.team.id });
    expect((await req('DELETE', teamPath('AAA_FIRST'), fx.admin.keyHeaders)).status).toBe(204);
    expect(await hangar.services.db.credential.findUnique({ where: { id: row.id } })).toBeNull();
    expect((await req('DELETE', teamPath('AAA_FIRST'), fx.admin.keyHeaders)).status).toBe(404);
    const audit = await auditOf(row.id);
    expect(audit.map((a) => [a.action, a.data])).toEqual([
      ['credential.create', { name: 'AAA_FIRST', scope: 'team', keyId: row.keyId }],
      ['credential.delete', { name: 'AAA_FIRST', scope: 'team', keyId: row.keyId }],
    ]);
  });
});

describe('credential input rules', () => {
  const accepted = (name: string, value: string) => ({ name, value });
  it.each([
    ['a lower-case name', { name: 'github_token', value: 'v-value' }, 'name'],
    ['a name starting with a digit', { name: '1TOKEN', value: 'v-value' }, 'name'],
    ['a name with a hyphen', { name: 'MY-TOKEN', value: 'v-value' }, 'name'],
    ['an empty name', { name: '', value: 'v-value' }, 'name'],
    ['a 129-character name', { name: 'A'.repeat(129), value: 'v-value' }, 'name'],
    ['an empty value', { name: 'EMPTY', value: '' }, 'value'],
    ['a value one byte over 32 KB', { name: 'BIG', value: 'x'.repeat(MAX_CREDENTIAL_BYTES + 1) }, 'value'],
    ['a value over 32 KB in UTF-8 bytes though not in characters', { name: 'BIG', value: 'é'.repeat(MAX_CREDENTIAL_BYTES / 2 + 1) }, 'value'],
    ['a NUL byte', { name: 'NUL', value: 'abc\u0000def' }, 'value'],
    ['an escape character', { name: 'ESC', value: 'abc\u001b[31m' }, 'value'],
    ['a DEL character', { name: 'DEL', value: 'abc\u007f' }, 'value'],
    ['a lone surrogate', { name: 'SURR', value: 'abc\ud800def' }, 'value'],
    ['a non-string value', { name: 'NUM', value: 12345 }, 'value'],
    ['an unknown field', { name: 'EXTRA', value: 'v-value', scope: 'user' }, '(root)'],
  ])('refuses %s with 400 naming the field', async (_label, body, path) => {
    const res = await req('POST', teamPath(), fx.admin.keyHeaders, body);
    expect(res.status).toBe(400);
    expect(errorCode(res.json)).toBe('invalid_request');
    expect((res.json as { error: { issues: Array<{ path: string }> } }).error.issues.map((i) => i.path)).toContain(path);
  });

  it('accepts a 128-character name, exactly 32 KB, a PEM key with newlines, CRLF, tabs and Unicode', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
    const cases = [
      accepted('A'.repeat(128), 'long-name-value'),
      accepted('EXACTLY_32K', 'y'.repeat(MAX_CREDENTIAL_BYTES)),
      accepted('PEM_KEY', pem),
      accepted('CRLF_TAB', 'line1\r\nline2\tcol'),
      accepted('_UNICODE', 'pässwörd-🔑'),
    ];
    for (const body of cases) {
      const res = await req('POST', teamPath(), fx.admin.keyHeaders, body);
      expect(res.status).toBe(201);
      expect(hangar.services.vault.decrypt(await rowOf({ name: body.name, teamId: fx.team.id }))).toBe(body.value);
    }
    const put = await req('PUT', teamPath('PEM_KEY'), fx.admin.keyHeaders, { value: 'bad\u0000' });
    expect(put.status).toBe(400);
    expect((await req('PUT', teamPath('PEM_KEY'), fx.admin.keyHeaders, { value: 'x', name: 'RENAME' })).status).toBe(400);
  });
});

describe('user credentials', () => {
  it('stores, lists, replaces and deletes the caller’s own credentials, apart from the team’s', async () => {
    const u = await signUpUser(hangar);
    const created = await req('POST', '/v1/me/credentials', u.keyHeaders, { name: 'GITHUB_TOKEN', value: 'ghp_user-value-0006' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'GITHUB_TOKEN', scope: 'user', value: '*****', keyId: hangar.services.vault.currentKeyId });
    const row = await rowOf({ name: 'GITHUB_TOKEN', userId: u.user.id });
    expect(row).toMatchObject({ scope: 'user', teamId: null });
    expect(hangar.services.vault.decrypt(row)).toBe('ghp_user-value-0006');
    expect(errorCode((await req('POST', '/v1/me/credentials', u.keyHeaders, { name: 'GITHUB_TOKEN', value: 'again-value' })).json)).toBe('credential_exists');
    // The same name in the user's personal team is a separate credential.
    expect((await req('POST', `/v1/teams/${u.team.id}/credentials`, u.keyHeaders, { name: 'GITHUB_TOKEN', value: 'ghp_team-of-u-0007' })).status).toBe(201);
    const list = await req('GET', '/v1/me/credentials', u.keyHeaders);
    expect(list.json).toEqual({ data: [expect.objectContaining({ name: 'GITHUB_TOKEN', scope: 'user' })], nextCursor: null });
    expect((await req('PUT', '/v1/me/credentials/GITHUB_TOKEN', u.keyHeaders, { value: 'ghp_user-value-0008' })).status).toBe(200);
    expect(hangar.services.vault.decrypt(await rowOf({ name: 'GITHUB_TOKEN', userId: u.user.id }))).toBe('ghp_user-value-0008');
    expect((await req('DELETE', '/v1/me/credentials/GITHUB_TOKEN', u.keyHeaders)).status).toBe(204);
    expect((await req('GET', '/v1/me/credentials', u.keyHeaders)).json).toEqual({ data: [], nextCursor: null });
    expect(hangar.services.vault.decrypt(await rowOf({ name: 'GITHUB_TOKEN', teamId: u.team.id }))).toBe('ghp_team-of-u-0007');
    expect((await auditOf(row.id)).map((a) => [a.action, a.teamId, a.actorUserId])).toEqual([
      ['credential.create', null, u.user.id],
      ['credential.update', null, u.user.id],
      ['credential.delete', null, u.user.id],
    ]);
  });

  it('never shows or touches another user’s credential: their name is 404 and absent from lists', async () => {
    const [alice, bob] = await Promise.all([signUpUser(hangar), signUpUser(hangar)]);
    await req('POST', '/v1/me/credentials', alice.keyHeaders, { name: 'ALICE_ONLY', value: 'alice-value-0009' });
    expect((await req('GET', '/v1/me/credentials', bob.keyHeaders)).json).toEqual({ data: [], nextCursor: null });
    expect((await req('PUT', '/v1/me/credentials/ALICE_ONLY', bob.keyHeaders, { value: 'bob-took-it' })).status).toBe(404);
    expect((await req('DELETE', '/v1/me/credentials/ALICE_ONLY', bob.keyHeaders)).status).toBe(404);
    expect(hangar.services.vault.decrypt(await rowOf({ name: 'ALICE_ONLY', userId: alice.user.id }))).toBe('alice-value-0009');
    // Bob may use the same name for his own.
    expect((await req('POST', '/v1/me/credentials', bob.keyHeaders, { name: 'ALICE_ONLY', value: 'bob-own-value' })).status).toBe(201);
  });

  it('lets a read-only key list but not write', async () => {
    const u = await signUpUser(hangar, { scopes: ['read'] });
    expect((await req('GET', '/v1/me/credentials', u.keyHeaders)).status).toBe(200);
    const res = await req('POST', '/v1/me/credentials', u.keyHeaders, { name: 'RO', value: 'read-only-value' });
    expect([res.status, errorCode(res.json)]).toEqual([403, 'insufficient_scope']);
  });
});

describe('no response carries a value', () => {
  it('every body this file received is free of every stored value', () => {
    const all = bodies.join('\n');
    expect(values.length).toBeGreaterThan(20);
    for (const value of values.filter((v) => v.length >= 6)) expect(all).not.toContain(value);
  });
});

let seq = 0;
const fresh = () => `BATTERY_${(seq += 1)}`;
/** Creates a team credential of the fixture's team directly, so PUT/DELETE have something to act on. */
async function seedTeam(f: TeamFixture): Promise<string> {
  const name = fresh();
  await hangar.services.db.credential.create({ data: { id: `cred_b${seq}`, scope: 'team', teamId: f.team.id, name, ...hangar.services.vault.encrypt('battery-value') } });
  return name;
}
async function seedUser(f: TeamFixture): Promise<string> {
  const name = fresh();
  await hangar.services.db.credential.create({ data: { id: `cred_b${seq}`, scope: 'user', userId: f.owner.user.id, name, ...hangar.services.vault.encrypt('battery-value') } });
  return name;
}

runSecurityBattery('GET /v1/teams/{team}/credentials', { hangar: () => hangar, tooNarrowScopes: ['mcp'], request: (f) => ({ method: 'GET', path: `/v1/teams/${f.team.id}/credentials` }) });
runSecurityBattery('POST /v1/teams/{team}/credentials', { hangar: () => hangar, tooNarrowScopes: ['read'], request: (f) => ({ method: 'POST', path: `/v1/teams/${f.team.id}/credentials`, body: { name: fresh(), value: 'battery-value' } }) });
runSecurityBattery('PUT /v1/teams/{team}/credentials/{name}', { hangar: () => hangar, tooNarrowScopes: ['read'], request: async (f) => ({ method: 'PUT', path: `/v1/teams/${f.team.id}/credentials/${await seedTeam(f)}`, body: { value: 'battery-value-2' } }) });
runSecurityBattery('DELETE /v1/teams/{team}/credentials/{name}', { hangar: () => hangar, tooNarrowScopes: ['read'], request: async (f) => ({ method: 'DELETE', path: `/v1/teams/${f.team.id}/credentials/${await seedTeam(f)}` }) });
runSecurityBattery('GET /v1/me/credentials', { hangar: () => hangar, teamScoped: false, tooNarrowScopes: ['mcp'], request: () => ({ method: 'GET', path: '/v1/me/credentials' }) });
runSecurityBattery('POST /v1/me/credentials', { hangar: () => hangar, teamScoped: false, tooNarrowScopes: ['read'], request: () => ({ method: 'POST', path: '/v1/me/credentials', body: { name: fresh(), value: 'battery-value' } }) });
runSecurityBattery('PUT /v1/me/credentials/{name}', { hangar: () => hangar, teamScoped: false, tooNarrowScopes: ['read'], request: async (f) => ({ method: 'PUT', path: `/v1/me/credentials/${await seedUser(f)}`, body: { value: 'battery-value-2' } }) });
runSecurityBattery('DELETE /v1/me/credentials/{name}', { hangar: () => hangar, teamScoped: false, tooNarrowScopes: ['read'], request: async (f) => ({ method: 'DELETE', path: `/v1/me/credentials/${await seedUser(f)}` }) });
