import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, sessionCookieFrom, signUpUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar();
});
afterAll(async () => {
  await hangar.dispose();
});

describe('me', () => {
  it('reads and renames the caller', async () => {
    const u = await signUpUser(hangar);
    expect(await (await hangar.request('/v1/me', { headers: u.keyHeaders })).json()).toMatchObject({ id: u.user.id, email: u.user.email, name: null });
    const res = await hangar.request('/v1/me', jsonInit('PATCH', u.keyHeaders, { name: 'Grace' }));
    expect(await res.json()).toMatchObject({ name: 'Grace' });
    expect((await hangar.request('/v1/me', jsonInit('PATCH', u.keyHeaders, { name: '' }))).status).toBe(400);
  });

  it('lists sessions, marks the current one, and ends another at once', async () => {
    const u = await signUpUser(hangar);
    const other = sessionCookieFrom(await hangar.request('/v1/auth/login', jsonInit('POST', {}, { email: u.user.email, password: u.password })));
    const list = (await (await hangar.request('/v1/me/sessions', { headers: u.cookieHeaders })).json()) as { data: Array<{ id: string; current: boolean }> };
    expect(list.data).toHaveLength(2);
    expect(list.data.filter((s) => s.current)).toHaveLength(1);
    const target = list.data.find((s) => !s.current)?.id ?? '';
    expect((await hangar.request(`/v1/me/sessions/${target}`, { method: 'DELETE', headers: u.cookieHeaders })).status).toBe(204);
    expect((await hangar.request('/v1/me', { headers: { cookie: other } })).status).toBe(401);
    expect((await hangar.request(`/v1/me/sessions/${target}`, { method: 'DELETE', headers: u.cookieHeaders })).status).toBe(404);
  });
});

runSecurityBattery('PATCH /v1/me', {
  hangar: () => hangar,
  teamScoped: false,
  tooNarrowScopes: ['read'],
  request: () => ({ method: 'PATCH', path: '/v1/me', body: { name: 'X' } }),
});
