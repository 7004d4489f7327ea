import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, sessionCookieFrom, trustedOrigin } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar();
});
afterAll(async () => {
  await hangar.dispose();
});

describe('canary secrets', () => {
  it('never shows a password, session token or API key in a response, log line or audit entry', async () => {
    const password = `Canary-Pw-${randomBytes(8).toString('hex')}`;
    const newPassword = `Canary-New-${randomBytes(8).toString('hex')}`;
    const email = `canary-${randomBytes(4).toString('hex')}@example.com`;
    const seen: string[] = [];
    const call = async (path: string, init: RequestInit) => {
      const res = await hangar.request(path, init);
      const text = await res.text();
      seen.push(`${res.status} ${[...res.headers.entries()].filter(([k]) => k !== 'set-cookie').map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`);
      return { res, text };
    };
    await call('/v1/auth/signup', jsonInit('POST', { 'x-request-id': 'canary-1' }, { email: 'first@example.com', password: 'the-first-users-passphrase' }));
    const signup = await call('/v1/auth/signup', jsonInit('POST', {}, { email, password }));
    const cookie = sessionCookieFrom(signup.res);
    const headers = { cookie, origin: trustedOrigin(hangar) };
    await call('/v1/auth/login', jsonInit('POST', {}, { email, password: `${password}-wrong` }));
    const login = await call('/v1/auth/login', jsonInit('POST', {}, { email, password }));
    const loginCookie = sessionCookieFrom(login.res);
    const created = await hangar.request('/v1/me/keys', jsonInit('POST', headers, { name: 'canary', scopes: ['read', 'write', 'admin'] }));
    const { key, id } = (await created.json()) as { key: string; id: string };
    const keyHeaders = { authorization: `Bearer ${key}` };
    for (const path of ['/v1/me', '/v1/me/keys', '/v1/me/sessions', '/v1/me/export', '/v1/teams', '/v1/auth/nothing']) {
      await call(path, { headers: keyHeaders });
    }
    await call(`/v1/me/keys/${id}/rotate`, jsonInit('POST', keyHeaders, { gracePeriodSeconds: 60 }));
    await call('/v1/me/password', jsonInit('POST', headers, { currentPassword: `${password}-nope`, newPassword }));
    await call('/v1/me/password', jsonInit('POST', headers, { currentPassword: password, newPassword }));
    await call('/v1/auth/password-reset', jsonInit('POST', {}, { email }));
    await call('/v1/me', { headers: { authorization: `Bearer ${key}x` } });
    await call('/v1/auth/signup', jsonInit('POST', {}, { email: 'bad', password }));

    const sessionTokens = [cookie, loginCookie].map((c) => c.split('=')[1] ?? '');
    const canaries = [password, newPassword, key, ...sessionTokens];
    const user = await hangar.services.db.user.findUniqueOrThrow({ where: { email } });
    const hashes = [user.passwordHash, ...(await hangar.services.db.apiKey.findMany({ where: { userId: user.id } })).map((k) => k.keyHash)];
    const audit = JSON.stringify(await hangar.services.db.auditEntry.findMany(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const logs = hangar.logs.text();
    expect(audit).toContain('auth.login');
    expect(logs).toContain('"path":"/v1/me"');
    for (const secret of [...canaries, ...hashes]) {
      expect(seen.join('\n')).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    // The reset token is in the outbox and (local mode only) the log, by design; never in audit or responses.
    const resetToken = (await hangar.services.db.mailMessage.findFirstOrThrow({ where: { to: email, subject: { contains: 'Reset' } } })).body.match(/hgp_[0-9a-z]+/)?.[0] ?? '';
    expect(resetToken).not.toBe('');
    expect(audit).not.toContain(resetToken);
    expect(seen.join('\n')).not.toContain(resetToken);
  });
});
