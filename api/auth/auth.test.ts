import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, sessionCookieFrom, signUpUser, trustedOrigin } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import type { ManualClock } from '../platform/clock.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar({ env: { HANGAR_LOGIN_LIMIT_PER_ACCOUNT: '3', HANGAR_LOGIN_LIMIT_PER_IP: '1000' } });
});
afterAll(async () => {
  await hangar.dispose();
});

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) => hangar.request(path, jsonInit('POST', headers, body));
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** The newest outbox token of a kind for `email`, read from the stored message. */
async function mailedToken(email: string, prefix: 'hgv_' | 'hgp_' | 'hgi_'): Promise<string> {
  const mail = await hangar.services.db.mailMessage.findFirst({ where: { to: email, body: { contains: prefix } }, orderBy: { createdAt: 'desc' } });
  const match = mail?.body.match(new RegExp(`${prefix}[0-9a-z]+`));
  if (!match) throw new Error(`no ${prefix} token mailed to ${email}`);
  return match[0];
}

describe('sign-up', () => {
  it('makes the first user a verified global admin, later ones plain and unverified, each with a personal team', async () => {
    const first = await post('/v1/auth/signup', { email: '  Ada@Example.COM ', password: 'a-long-unusual-passphrase' });
    expect(first.status).toBe(201);
    const a = (await first.json()) as { user: { id: string; email: string; globalRole: string; emailVerified: boolean }; teamId: string };
    expect(a.user).toMatchObject({ email: 'ada@example.com', globalRole: 'admin', emailVerified: true });
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^hangar_session=hgs_[0-9a-z]{32};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Secure/); // plain-http localhost public URL
    const second = await post('/v1/auth/signup', { email: 'bob@example.com', password: 'another-long-passphrase' });
    const b = (await second.json()) as { user: { globalRole: string; emailVerified: boolean }; teamId: string };
    expect(b.user).toMatchObject({ globalRole: 'user', emailVerified: false });
    const team = await hangar.services.db.team.findUniqueOrThrow({ where: { id: b.teamId }, include: { memberships: true } });
    expect(team.personal).toBe(true);
    expect(team.memberships.map((m) => m.role)).toEqual(['owner']);
    const stored = await hangar.services.db.session.findFirstOrThrow({ where: { userId: a.user.id } });
    expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(setCookie).not.toContain(stored.tokenHash);
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(30 * 86_400_000);
    const hash = (await hangar.services.db.user.findUniqueOrThrow({ where: { id: a.user.id } })).passwordHash;
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('refuses short, long and common passwords, bad emails and taken emails', async () => {
    expect(await errorCode(await post('/v1/auth/signup', { email: 'c@example.com', password: 'short' }))).toBe('invalid_request');
    expect((await post('/v1/auth/signup', { email: 'c@example.com', password: 'x'.repeat(129) })).status).toBe(400);
    const common = await post('/v1/auth/signup', { email: 'c@example.com', password: 'Password123' });
    expect(common.status).toBe(400);
    expect(((await common.json()) as { error: { issues: Array<{ path: string; message: string }> } }).error.issues).toEqual([{ path: 'password', message: 'is too common' }]);
    expect((await post('/v1/auth/signup', { email: 'not-an-email', password: 'a-long-unusual-passphrase' })).status).toBe(400);
    const taken = await post('/v1/auth/signup', { email: 'BOB@example.com', password: 'a-long-unusual-passphrase' });
    expect(taken.status).toBe(409);
    expect(await errorCode(taken)).toBe('email_taken');
  });
});

describe('login', () => {
  it('logs in, and logout ends the session on the very next request', async () => {
    const u = await signUpUser(hangar);
    const res = await post('/v1/auth/login', { email: u.user.email.toUpperCase(), password: u.password });
    expect(res.status).toBe(200);
    const cookie = sessionCookieFrom(res);
    const headers = { cookie, origin: trustedOrigin(hangar) };
    expect((await hangar.request('/v1/me', { headers })).status).toBe(200);
    expect((await post('/v1/auth/logout', undefined, headers)).status).toBe(204);
    expect((await hangar.request('/v1/me', { headers })).status).toBe(401);
  });

  it('answers an unknown email and a wrong password identically, in the same time', async () => {
    const u = await signUpUser(hangar);
    const attempt = async (email: string) => {
      const started = performance.now();
      const res = await post('/v1/auth/login', { email, password: 'wrong-but-long-enough' });
      const elapsed = performance.now() - started;
      const body = (await res.json()) as { error: { code: string; message: string } };
      return { status: res.status, code: body.error.code, message: body.error.message, elapsed };
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      await hangar.services.rateLimiter.reset(`login:acct:${u.user.email}`);
      const k = await attempt(u.user.email);
      const n = await attempt(`nobody-${i}@example.com`);
      expect({ status: k.status, code: k.code, message: k.message }).toEqual({ status: 401, code: 'unauthorized', message: 'Invalid email or password' });
      expect({ status: n.status, code: n.code, message: n.message }).toEqual({ status: k.status, code: k.code, message: k.message });
      known.push(k.elapsed);
      unknown.push(n.elapsed);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    // Both run one argon2id verification (~30 ms here); a skipped hash would make one side several times faster.
    expect(Math.abs(median(known) - median(unknown))).toBeLessThan(Math.max(median(known), median(unknown)) * 0.5);
    expect(Math.min(median(known), median(unknown))).toBeGreaterThan(5);
  });

  it('locks an account after repeated failures, with Retry-After, growing on the next strike', async () => {
    const u = await signUpUser(hangar);
    for (let i = 0; i < 3; i += 1) expect((await post('/v1/auth/login', { email: u.user.email, password: 'wrong-password-x' })).status).toBe(401);
    const locked = await post('/v1/auth/login', { email: u.user.email, password: 'wrong-password-x' });
    expect(locked.status).toBe(401); // the fourth failure trips the lock ...
    const blocked = await post('/v1/auth/login', { email: u.user.email, password: u.password });
    expect(blocked.status).toBe(429); // ... and even the right password waits
    expect(Number(blocked.headers.get('retry-after'))).toBe(900);
    (hangar.clock as ManualClock).advance(901_000);
    for (let i = 0; i < 4; i += 1) await post('/v1/auth/login', { email: u.user.email, password: 'wrong-password-x' });
    const again = await post('/v1/auth/login', { email: u.user.email, password: u.password });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBe(1800);
    (hangar.clock as ManualClock).advance(1_801_000);
    expect((await post('/v1/auth/login', { email: u.user.email, password: u.password })).status).toBe(200);
  });

  it('answers 401 to a disabled user with the right password', async () => {
    const u = await signUpUser(hangar);
    await hangar.services.db.user.update({ where: { id: u.user.id }, data: { disabledAt: new Date() } });
    expect((await post('/v1/auth/login', { email: u.user.email, password: u.password })).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses cookie-authenticated state changes from a foreign or missing Origin, accepts the trusted one', async () => {
    const u = await signUpUser(hangar);
    const evil = await post('/v1/teams', { name: 'Evil' }, { cookie: u.cookie, origin: 'https://evil.example.net' });
    expect(evil.status).toBe(403);
    expect(await errorCode(evil)).toBe('csrf_rejected');
    const none = await post('/v1/teams', { name: 'None' }, { cookie: u.cookie });
    expect(none.status).toBe(403);
    expect((await post('/v1/teams', { name: 'Fine' }, u.cookieHeaders)).status).toBe(201);
    expect((await post('/v1/teams', { name: 'Key' }, u.keyHeaders)).status).toBe(201); // API keys are not ambient credentials
    expect((await post('/v1/auth/login', { email: u.user.email, password: u.password }, { origin: 'https://evil.example.net' })).status).toBe(403);
  });
});

describe('email verification', () => {
  it('verifies once with the mailed token, and not after 24 hours', async () => {
    const u = await signUpUser(hangar, { verified: false });
    expect((await post('/v1/auth/resend-verification', undefined, u.keyHeaders)).status).toBe(202);
    const token = await mailedToken(u.user.email, 'hgv_');
    expect((await post('/v1/auth/verify-email', { token })).status).toBe(200);
    expect(((await (await hangar.request('/v1/me', { headers: u.keyHeaders })).json()) as { emailVerified: boolean }).emailVerified).toBe(true);
    const reused = await post('/v1/auth/verify-email', { token });
    expect(reused.status).toBe(400);
    expect(await errorCode(reused)).toBe('invalid_token');

    const v = await signUpUser(hangar, { verified: false });
    const late = await mailedToken(v.user.email, 'hgv_');
    (hangar.clock as ManualClock).advance(24 * 3_600_000 + 1000);
    expect((await post('/v1/auth/verify-email', { token: late })).status).toBe(400);
    expect((await hangar.services.db.user.findUniqueOrThrow({ where: { id: v.user.id } })).emailVerifiedAt).toBeNull();
  });
});

describe('password reset and change', () => {
  it('resets with a single-use 30-minute token and ends every session', async () => {
    const u = await signUpUser(hangar);
    const res = await post('/v1/auth/password-reset', { email: u.user.email });
    expect(res.status).toBe(202);
    const unknown = await post('/v1/auth/password-reset', { email: 'nobody@example.com' });
    expect({ status: unknown.status, body: await unknown.json() }).toEqual({ status: 202, body: await res.json() });
    const token = await mailedToken(u.user.email, 'hgp_');
    const common = await post('/v1/auth/password-reset/confirm', { token, password: 'password123' });
    expect(common.status).toBe(400);
    expect(await errorCode(common)).toBe('invalid_request'); // refused by policy; the link still works
    const fresh = token;
    expect((await post('/v1/auth/password-reset/confirm', { token: fresh, password: 'brand-new-passphrase' })).status).toBe(200);
    expect((await hangar.request('/v1/me', { headers: u.cookieHeaders })).status).toBe(401);
    expect((await post('/v1/auth/password-reset/confirm', { token: fresh, password: 'another-new-passphrase' })).status).toBe(400);
    expect((await post('/v1/auth/login', { email: u.user.email, password: 'brand-new-passphrase' })).status).toBe(200);

    await post('/v1/auth/password-reset', { email: u.user.email });
    const stale = await mailedToken(u.user.email, 'hgp_');
    (hangar.clock as ManualClock).advance(31 * 60_000);
    expect((await post('/v1/auth/password-reset/confirm', { token: stale, password: 'too-late-passphrase' })).status).toBe(400);
  });

  it('changes the password with the current one and ends the other sessions only', async () => {
    const u = await signUpUser(hangar);
    const other = sessionCookieFrom(await post('/v1/auth/login', { email: u.user.email, password: u.password }));
    const wrong = await post('/v1/me/password', { currentPassword: 'not-the-password', newPassword: 'changed-passphrase-1' }, u.cookieHeaders);
    expect(wrong.status).toBe(403);
    expect((await post('/v1/me/password', { currentPassword: u.password, newPassword: 'changed-passphrase-1' }, u.cookieHeaders)).status).toBe(200);
    expect((await hangar.request('/v1/me', { headers: u.cookieHeaders })).status).toBe(200);
    expect((await hangar.request('/v1/me', { headers: { cookie: other } })).status).toBe(401);
  });
});

describe('first sign-ups racing', () => {
  it('yields exactly one global admin', async () => {
    const fresh = await createTestHangar();
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => fresh.request('/v1/auth/signup', jsonInit('POST', {}, { email: `racer${i}@example.com`, password: 'racing-passphrase-ok' }))),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
      expect(await fresh.services.db.user.count({ where: { globalRole: 'admin' } })).toBe(1);
      expect(await fresh.services.db.user.count({ where: { emailVerifiedAt: { not: null } } })).toBe(1);
    } finally {
      await fresh.dispose();
    }
  });
});
