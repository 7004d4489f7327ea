/** A real browser (headless chromium, JavaScript off) follows each link from the mail Hangar really sent. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { jsonInit, sessionCookieFrom, signUpUser } from '../../test/accounts.ts';
import { createServedHangar, launchChromium, type ServedHangar } from '../../test/browser.ts';
import type { TestHangar } from '../../test/hangar.ts';

let served: ServedHangar;
let hangar: TestHangar;
let browser: Browser;
/** Content-Security-Policy complaints the browser logged; the pages must cause none. */
const cspViolations: string[] = [];

beforeAll(async () => {
  [served, browser] = await Promise.all([createServedHangar(), launchChromium()]);
  hangar = served.hangar;
  await signUpUser(hangar); // the first account is verified at sign-up and gets no mail: take that seat
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await served?.close();
});

/** The one link of the newest mail to `email`, exactly as the mail's text carries it. */
async function linkMailedTo(email: string, path: string): Promise<string> {
  const mail = await hangar.services.db.mailMessage.findFirstOrThrow({ where: { to: email }, orderBy: { createdAt: 'desc' } });
  const link = mail.body.match(/https?:\/\/\S+/)?.[0] ?? '';
  expect(link.startsWith(`${served.baseUrl}${path}?code=`)).toBe(true);
  return link;
}

/** A fresh browser profile with JavaScript disabled, optionally already signed in with `cookie`. */
async function openContext(cookie?: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: false });
  if (cookie) {
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: served.baseUrl }]);
  }
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { context, page };
}

async function heading(page: Page): Promise<string> {
  return (await page.locator('h1').textContent()) ?? '';
}

describe('mail links in a real browser', () => {
  it('verifies an email address from the verification mail', async () => {
    const email = 'verify-me@example.com';
    const signup = await hangar.request('/v1/auth/signup', jsonInit('POST', {}, { email, password: 'a-long-unusual-passphrase' }));
    expect(signup.status).toBe(201);
    const link = await linkMailedTo(email, '/verify-email');
    const { context, page } = await openContext();
    const opened = await page.goto(link);
    expect(opened?.status()).toBe(200);
    expect(await heading(page)).toBe('Verify your email');
    // Opening the link changed nothing (a mail scanner's prefetch is harmless).
    expect((await hangar.services.db.user.findUniqueOrThrow({ where: { email } })).emailVerifiedAt).toBeNull();
    // The stylesheet loaded under the page's CSP.
    expect(await page.evaluate('getComputedStyle(document.querySelector("main")).maxWidth')).toBe('512px');
    await page.getByRole('button', { name: 'Verify email' }).click();
    expect(await heading(page)).toBe('Email verified');
    expect((await hangar.services.db.user.findUniqueOrThrow({ where: { email } })).emailVerifiedAt).not.toBeNull();
    const again = await page.goto(link);
    expect(again?.status()).toBe(400);
    expect(await heading(page)).toBe('This link cannot be used');
    await context.close();
  });

  it('sets a new password from the reset mail, showing a refused password on the page first', async () => {
    const user = await signUpUser(hangar);
    expect((await hangar.request('/v1/auth/password-reset', jsonInit('POST', {}, { email: user.user.email }))).status).toBe(202);
    const link = await linkMailedTo(user.user.email, '/reset-password');
    const { context, page } = await openContext();
    await page.goto(link);
    expect(await heading(page)).toBe('Choose a new password');
    await page.getByLabel('New password', { exact: true }).fill('password123');
    await page.getByLabel('Confirm new password').fill('password123');
    await page.getByRole('button', { name: 'Set new password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('New password: is too common');
    const newPassword = 'a-brand-new-long-passphrase';
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    expect(await heading(page)).toBe('Password changed');
    const login = (password: string) => hangar.request('/v1/auth/login', jsonInit('POST', {}, { email: user.user.email, password }));
    expect((await login(newPassword)).status).toBe(200);
    expect((await login(user.password)).status).toBe(401);
    // Every earlier session ended; the link works once.
    expect((await hangar.request('/v1/me', { headers: { cookie: user.cookie } })).status).toBe(401);
    expect((await page.goto(link))?.status()).toBe(400);
    await context.close();
  });

  it('lets an invitee sign in on the invitation page and join the team', async () => {
    const [owner, invitee] = await Promise.all([signUpUser(hangar), signUpUser(hangar)]);
    const invited = await hangar.request(`/v1/teams/${owner.team.id}/invitations`, jsonInit('POST', owner.keyHeaders, { email: invitee.user.email, role: 'member' }));
    expect(invited.status).toBe(201);
    const link = await linkMailedTo(invitee.user.email, '/invitation');
    const { context, page } = await openContext();
    await page.goto(link);
    expect(await page.locator('main').textContent()).toContain(`Sign in as ${invitee.user.email}`);
    await page.fill('input[name=email]', invitee.user.email);
    await page.fill('input[name=password]', invitee.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const team = await hangar.services.db.team.findUniqueOrThrow({ where: { id: owner.team.id } });
    await page.getByRole('button', { name: `Join ${team.name}` }).click();
    expect(await heading(page)).toBe(`You joined ${team.name}`);
    const membership = await hangar.services.db.membership.findUnique({ where: { teamId_userId: { teamId: owner.team.id, userId: invitee.user.id } } });
    expect(membership?.role).toBe('member');
    const teams = (await (await hangar.request('/v1/teams', { headers: invitee.keyHeaders })).json()) as { data: Array<{ id: string }> };
    expect(teams.data.map((t) => t.id)).toContain(owner.team.id);
    expect((await page.goto(link))?.status()).toBe(404);
    await context.close();
  });

  it('lets an invitee who is already signed in join with one click', async () => {
    const [owner, invitee] = await Promise.all([signUpUser(hangar), signUpUser(hangar)]);
    await hangar.request(`/v1/teams/${owner.team.id}/invitations`, jsonInit('POST', owner.keyHeaders, { email: invitee.user.email, role: 'viewer' }));
    const link = await linkMailedTo(invitee.user.email, '/invitation');
    const session = sessionCookieFrom(await hangar.request('/v1/auth/login', jsonInit('POST', {}, { email: invitee.user.email, password: invitee.password })));
    const { context, page } = await openContext(session);
    await page.goto(link);
    expect(await page.locator('input[name=password]').count()).toBe(0);
    await page.getByRole('button', { name: /^Join / }).click();
    expect(await heading(page)).toMatch(/^You joined /);
    const membership = await hangar.services.db.membership.findUnique({ where: { teamId_userId: { teamId: owner.team.id, userId: invitee.user.id } } });
    expect(membership?.role).toBe('viewer');
    await context.close();
  });

  it('raised no Content-Security-Policy violation on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
