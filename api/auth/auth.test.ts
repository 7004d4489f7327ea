import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { jsonInit, sessionCookieFrom, signUpUser, trustedOrigin } from '../../test/accounts.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar();
});
afterAll(async () => {
  await hangar.dispose();
});

describe('signup and login', () => {
  it('signs up, sets a secure-shaped session cookie, and answers /v1/auth/login', async () => {
    const res = await hangar.request('/v1/auth/signup', jsonInit('POST', {}, { email: '  Ada@Example.COM ', password: 'a-long-unusual-passphrase' }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { user: { email: string; globalRole: string; emailVerified: boolean } };
    expect(body.user).toMatchObject({ email: 'ada@example.com', globalRole: 'admin', emailVerified: true });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const login = await hangar.request('/v1/auth/login', jsonInit('POST', {}, { email: 'ada@example.com', password: 'a-long-unusual-passphrase' }));
    expect(login.status).toBe(200);
    const cookie = sessionCookieFrom(login);
    const me = await hangar.request('/v1/auth/logout', jsonInit('POST', { cookie, origin: trustedOrigin(hangar) }));
    expect(me.status).toBe(204);
  });

  it('builds test users with keys', async () => {
    const u = await signUpUser(hangar);
    const res = await hangar.request('/v1/me/keys', { headers: u.keyHeaders });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ id: string }> };
    expect(body.data.map((k) => k.id)).toEqual([u.apiKeyId]);
  });
});
