/** The mail-link pages over plain HTTP: headers, CSRF refusals, bad tokens; each refusal changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser, trustedOrigin, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import type { ManualClock } from '../platform/clock.ts';

let hangar: TestHangar;
let origin: string;
const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

beforeAll(async () => {
  hangar = await createTestHangar();
  origin = trustedOrigin(hangar);
  await signUpUser(hangar); // the first account gets no verification mail
});
afterAll(async () => {
  await hangar.dispose();
});

async function mailedCode(email: string, path: string): Promise<string> {
  const mail = await hangar.services.db.mailMessage.findFirstOrThrow({ where: { to: email }, orderBy: { createdAt: 'desc' } });
  const code = mail.body.match(new RegExp(`http://localhost:8080${path}\\?code=(hg[vpi]_[0-9a-z]{32})`))?.[1];
  if (!code) throw new Error(`no ${path} link mailed to ${email}`);
  return code;
}

/** An error or refusal page: HTML, the page CSP, the stated status and code, and no internals. */
async function expectPage(res: Response, status: number, code?: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
  const body = await res.text();
  expect(body).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|prisma/i);
  // An error page names its code and never echoes a token; a form shown again keeps its own link's code.
  if (code) {
    expect(body).toContain(`<code>${code}</code>`);
    expect(body).not.toMatch(/hg[vpi]_[0-9a-z]{32}/);
  }
  return body;
}

/** Opens a page like a browser: its form cookie (plus `cookie`) and the CSRF token of its form. */
async function openForm(path: string, cookie = ''): Promise<{ cookie: string; csrf: string; body: string }> {
  const res = await hangar.request(path, { headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = await res.text();
  const csrf = body.match(/name="csrf" value="([0-9a-f]{64})"/)?.[1] ?? '';
  const form = res.headers.get('set-cookie')?.match(/hangar_form=[^;]+/)?.[0];
  return { cookie: [cookie, form].filter(Boolean).join('; '), csrf, body };
}

function submit(path: string, cookie: string, fields: Record<string, string>): Promise<Response> {
  return hangar.request(path, { method: 'POST', headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}

async function unverifiedUser(): Promise<{ email: string; code: string }> {
  const email = `v-${Math.random().toString(36).slice(2)}@example.com`;
  expect((await hangar.request('/v1/auth/signup', jsonInit('POST', {}, { email, password: 'a-long-unusual-passphrase' }))).status).toBe(201);
  return { email, code: await mailedCode(email, '/verify-email') };
}

const verified = async (email: string) => (await hangar.services.db.user.findUniqueOrThrow({ where: { email } })).emailVerifiedAt !== null;

describe('verify-email page', () => {
  it('GET only shows the button; the CSRF-checked POST verifies', async () => {
    const { email, code } = await unverifiedUser();
    const page = await openForm(`/verify-email?code=${code}`);
    expect(page.body).toContain(`<form method="post" action="/verify-email?code=${code}">`);
    expect(await verified(email)).toBe(false);
    await expectPage(await submit(`/verify-email?code=${code}`, page.cookie, {}), 403, 'csrf_rejected');
    await expectPage(await submit(`/verify-email?code=${code}`, page.cookie, { csrf: 'a'.repeat(64) }), 403, 'csrf_rejected');
    expect(await verified(email)).toBe(false);
    const done = await submit(`/verify-email?code=${code}`, page.cookie, { csrf: page.csrf });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<h1>Email verified</h1>');
    expect(await verified(email)).toBe(true);
    await expectPage(await hangar.request(`/verify-email?code=${code}`), 400, 'invalid_token');
  });

  it('answers a missing, malformed, unknown or expired code with a 400 page and changes nothing', async () => {
    const { email, code } = await unverifiedUser();
    for (const query of ['', '?code=', '?code=hgv_short', `?code=hgv_${'0'.repeat(32)}`, `?code=${code.replace('hgv_', 'hgp_')}`, '?code=%00']) {
      const body = await expectPage(await hangar.request(`/verify-email${query}`), 400, 'invalid_token');
      expect(body).toContain('<h1>This link cannot be used</h1>');
    }
    const page = await openForm(`/verify-email?code=${code}`);
    (hangar.clock as ManualClock).advance(24 * 3_600_000 + 1);
    await expectPage(await hangar.request(`/verify-email?code=${code}`), 400, 'invalid_token');
    await expectPage(await submit(`/verify-email?code=${code}`, page.cookie, { csrf: page.csrf }), 400, 'invalid_token');
    expect(await verified(email)).toBe(false);
  });
});

it('answers a malformed form body with a 400 page, not a 500', async () => {
  const { code } = await unverifiedUser();
  const page = await openForm(`/verify-email?code=${code}`);
  const res = await hangar.request(`/verify-email?code=${code}`, { method: 'POST', headers: { cookie: page.cookie, origin, 'content-type': 'multipart/form-data; boundary=x' }, body: 'not multipart at all' });
  await expectPage(res, 400, 'invalid_request');
});

describe('reset-password page', () => {
  async function resetCode(user: TestUser): Promise<string> {
    expect((await hangar.request('/v1/auth/password-reset', jsonInit('POST', {}, { email: user.user.email }))).status).toBe(202);
    return mailedCode(user.user.email, '/reset-password');
  }
  const canLogIn = async (user: TestUser, password: string) => (await hangar.request('/v1/auth/login', jsonInit('POST', {}, { email: user.user.email, password }))).status === 200;

  it('shows refusals on the form without spending the code, then sets the password once', async () => {
    const user = await signUpUser(hangar);
    const code = await resetCode(user);
    const path = `/reset-password?code=${code}`;
    const page = await openForm(path);
    expect(page.body).toMatch(/<input id="f-password" name="password" type="password" autocomplete="new-password"/);
    await expectPage(await submit(path, page.cookie, { password: 'another-long-passphrase', confirm: 'another-long-passphrase' }), 403, 'csrf_rejected');
    const cases: Array<[Record<string, string>, string]> = [
      [{ password: 'short', confirm: 'short' }, 'must be at least 8 characters'],
      [{ password: 'password123', confirm: 'password123' }, 'is too common'],
      [{ password: user.user.email, confirm: user.user.email }, 'must not be your email address'],
      [{ password: 'another-long-passphrase', confirm: 'something-else-entirely' }, 'does not match the new password'],
    ];
    for (const [fields, message] of cases) {
      const body = await expectPage(await submit(path, page.cookie, { csrf: page.csrf, ...fields }), 400);
      expect(body).toContain(message);
      expect(body).toContain('aria-invalid="true"');
    }
    expect(await canLogIn(user, user.password)).toBe(true);
    const done = await submit(path, page.cookie, { csrf: page.csrf, password: 'another-long-passphrase', confirm: 'another-long-passphrase' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('<h1>Password changed</h1>');
    expect(await canLogIn(user, 'another-long-passphrase')).toBe(true);
    await expectPage(await submit(path, page.cookie, { csrf: page.csrf, password: 'a-third-long-passphrase', confirm: 'a-third-long-passphrase' }), 400, 'invalid_token');
    expect(await canLogIn(user, 'another-long-passphrase')).toBe(true);
  });

  it('refuses the code of a disabled account and an expired code', async () => {
    const [disabled, late] = await Promise.all([signUpUser(hangar), signUpUser(hangar)]);
    const disabledCode = await resetCode(disabled);
    const lateCode = await resetCode(late);
    await hangar.services.db.user.update({ where: { id: disabled.user.id }, data: { disabledAt: hangar.clock.now() } });
    await expectPage(await hangar.request(`/reset-password?code=${disabledCode}`), 400, 'invalid_token');
    const page = await openForm(`/reset-password?code=${lateCode}`);
    (hangar.clock as ManualClock).advance(30 * 60_000 + 1);
    await expectPage(await submit(`/reset-password?code=${lateCode}`, page.cookie, { csrf: page.csrf, password: 'another-long-passphrase', confirm: 'another-long-passphrase' }), 400, 'invalid_token');
    expect(await canLogIn(late, late.password)).toBe(true);
  });
});

describe('invitation page', () => {
  async function invite(role: 'member' | 'viewer' = 'member'): Promise<{ owner: TestUser; invitee: TestUser; code: string }> {
    const [owner, invitee] = await Promise.all([signUpUser(hangar), signUpUser(hangar)]);
    await hangar.request(`/v1/teams/${owner.team.id}/invitations`, jsonInit('POST', owner.keyHeaders, { email: invitee.user.email, role }));
    return { owner, invitee, code: await mailedCode(invitee.user.email, '/invitation') };
  }
  const memberOf = async (teamId: string, userId: string) => (await hangar.services.db.membership.findUnique({ where: { teamId_userId: { teamId, userId } } })) !== null;

  it('answers an unknown or malformed invitation with a 404 page', async () => {
    for (const query of ['', '?code=nope', `?code=hgi_${'z'.repeat(32)}`]) await expectPage(await hangar.request(`/invitation${query}`), 404, 'invalid_token');
  });

  it('does not let someone signed in as another address join, and refuses a form without its token', async () => {
    const { owner, invitee, code } = await invite();
    const stranger = await signUpUser(hangar);
    const path = `/invitation?code=${code}`;
    const page = await openForm(path, stranger.cookie);
    expect(page.body).toContain(`but this invitation is for <strong>${invitee.user.email}</strong>`);
    expect(page.body).toContain('name="password"');
    await expectPage(await submit(path, page.cookie, { csrf: page.csrf, step: 'join' }), 400);
    expect(await memberOf(owner.team.id, stranger.user.id)).toBe(false);
    const mine = await openForm(path, invitee.cookie);
    expect(mine.body).toContain('<input type="hidden" name="step" value="join">');
    await expectPage(await submit(path, mine.cookie, { step: 'join' }), 403, 'csrf_rejected');
    await expectPage(await submit(path, page.cookie, { csrf: page.csrf.replace(/^./, (d) => (d === '0' ? '1' : '0')), step: 'join' }), 403, 'csrf_rejected');
    expect(await memberOf(owner.team.id, invitee.user.id)).toBe(false);
    const joined = await submit(path, mine.cookie, { csrf: mine.csrf, step: 'join' });
    expect(joined.status).toBe(200);
    expect(await memberOf(owner.team.id, invitee.user.id)).toBe(true);
    const audit = await hangar.services.db.auditEntry.findFirst({ where: { action: 'team.member.join', teamId: owner.team.id, actorUserId: invitee.user.id } });
    expect(audit).not.toBeNull();
  });

  it('signs in on the page (wrong password shown as 401), then redirects back to the invitation', async () => {
    const { invitee, code } = await invite();
    const path = `/invitation?code=${code}`;
    const page = await openForm(path);
    const wrong = await submit(path, page.cookie, { csrf: page.csrf, step: 'sign_in', email: invitee.user.email, password: 'not-the-password' });
    expect(await expectPage(wrong, 401)).toContain('Invalid email or password');
    const right = await submit(path, page.cookie, { csrf: page.csrf, step: 'sign_in', email: invitee.user.email, password: invitee.password });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe(path);
    expect(right.headers.get('set-cookie')).toMatch(/hangar_session=hgs_/);
  });
});
