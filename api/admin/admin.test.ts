import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, jsonInit, signUpUser, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';

let hangar: TestHangar;
let admin: TestUser;
beforeAll(async () => {
  hangar = await createTestHangar();
  admin = await signUpUser(hangar, { globalAdmin: true });
});
afterAll(async () => {
  await hangar.dispose();
});
const req = (method: string, path: string, headers: Record<string, string>, body?: unknown) => hangar.request(path, jsonInit(method, headers, body));

describe('global admin', () => {
  it('disables a user: their session and key are 401 on the very next request; enabling restores the key', async () => {
    const u = await signUpUser(hangar);
    expect((await req('GET', '/v1/me', u.keyHeaders)).status).toBe(200);
    const res = await req('POST', `/v1/admin/users/${u.user.id}/disable`, admin.keyHeaders);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ disabled: true });
    expect((await req('GET', '/v1/me', u.keyHeaders)).status).toBe(401);
    expect((await req('GET', '/v1/me', u.cookieHeaders)).status).toBe(401);
    expect((await req('POST', `/v1/admin/users/${u.user.id}/enable`, admin.keyHeaders)).status).toBe(200);
    expect((await req('GET', '/v1/me', u.keyHeaders)).status).toBe(200);
    expect((await req('GET', '/v1/me', u.cookieHeaders)).status).toBe(401); // sessions were ended
    expect((await req('POST', `/v1/admin/users/${admin.user.id}/disable`, admin.keyHeaders)).status).toBe(409);
    expect((await req('POST', '/v1/admin/users/usr_nobody/disable', admin.keyHeaders)).status).toBe(404);
  });

  it('lists users with pagination and deletes one with their personal team', async () => {
    const u = await signUpUser(hangar);
    const page = (await (await req('GET', '/v1/admin/users?limit=1', admin.keyHeaders)).json()) as { data: unknown[]; nextCursor: string | null };
    expect(page.data).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    expect((await req('DELETE', `/v1/admin/users/${u.user.id}`, admin.keyHeaders)).status).toBe(204);
    expect(await hangar.services.db.team.findUnique({ where: { id: u.team.id } })).toBeNull();
    expect((await req('GET', '/v1/me', u.keyHeaders)).status).toBe(401);
  });

  it('closes sign-ups through settings', async () => {
    expect(await (await req('GET', '/v1/admin/settings', admin.keyHeaders)).json()).toEqual({ signupsEnabled: true, requireVerifiedEmailToDeploy: true, smtpPassword: null });
    expect(await (await req('PUT', '/v1/admin/settings', admin.keyHeaders, { signupsEnabled: false })).json()).toMatchObject({ signupsEnabled: false });
    const refused = await req('POST', '/v1/auth/signup', {}, { email: 'late@example.com', password: 'a-long-unusual-passphrase' });
    expect(refused.status).toBe(403);
    await req('PUT', '/v1/admin/settings', admin.keyHeaders, { signupsEnabled: true });
    expect((await req('PUT', '/v1/admin/settings', admin.keyHeaders, { signupsEnabled: 'yes' })).status).toBe(400);
  });

  it('reads the outbox', async () => {
    const u = await signUpUser(hangar, { verified: false });
    const res = await req('GET', '/v1/admin/outbox?limit=200', admin.keyHeaders);
    const body = (await res.json()) as { data: Array<{ to: string; subject: string; body: string }> };
    expect(body.data.find((m) => m.to === u.user.email)?.body).toMatch(/http:\/\/localhost:8080\/verify-email\?code=hgv_[0-9a-z]{32}/);
    const line = hangar.logs.records().find((r) => r.msg === 'mail stored in outbox' && r.to === u.user.email);
    expect(String(line?.mailLink)).toMatch(/\/verify-email\?code=hgv_[0-9a-z]{32}$/);
  });
});

describe('privacy', () => {
  it('exports the caller’s data without hashes or secrets', async () => {
    const u = await signUpUser(hangar);
    const res = await req('GET', '/v1/me/export', u.keyHeaders);
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as { user: { email: string }; apiKeys: unknown[]; memberships: unknown[] };
    expect(body.user.email).toBe(u.user.email);
    expect(body.apiKeys).toHaveLength(1);
    expect(body.memberships).toHaveLength(1);
    const row = await hangar.services.db.user.findUniqueOrThrow({ where: { id: u.user.id } });
    expect(text).not.toContain(row.passwordHash);
    expect(text).not.toContain(u.apiKey);
    expect(text).not.toContain(u.password);
  });

  it('refuses to delete an owner of a team with other members, deletes otherwise', async () => {
    const u = await signUpUser(hangar);
    const other = await signUpUser(hangar);
    await addMember(hangar, u.team.id, other.user.id, 'member');
    const refused = await req('DELETE', '/v1/me', u.keyHeaders);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('owns_shared_team');
    await req('DELETE', `/v1/teams/${u.team.id}/members/${other.user.id}`, u.keyHeaders);
    expect((await req('DELETE', '/v1/me', u.keyHeaders)).status).toBe(204);
    expect(await hangar.services.db.user.findUnique({ where: { id: u.user.id } })).toBeNull();
    expect(await hangar.services.db.team.findUnique({ where: { id: u.team.id } })).toBeNull();
    expect((await req('GET', '/v1/me', u.keyHeaders)).status).toBe(401);
  });
});

runSecurityBattery('GET /v1/admin/outbox', {
  hangar: () => hangar,
  teamScoped: false,
  tooNarrowScopes: ['read', 'write'],
  request: () => ({ method: 'GET', path: '/v1/admin/outbox' }),
});
