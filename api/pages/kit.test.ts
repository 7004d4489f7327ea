import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from '@hono/zod-openapi';
import { guard } from '../auth/permissions.ts';
import { signUpUser, trustedOrigin } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { readForm } from './csrf.ts';
import { SignInFormSchema, signInForm, signInWithForm } from './sign-in.ts';
import { inputField, postForm } from './forms.ts';
import { escapeHtml, html, Html } from './html.ts';
import { formActionSource, pageCsp, pageRoute, PAGE_STYLESHEET_PATH, renderPage } from './kit.ts';

let hangar: TestHangar;
let origin: string;

beforeAll(async () => {
  hangar = await createTestHangar();
  origin = trustedOrigin(hangar);
  // A probe page on the real app (behind the real middleware chain), only in this file's Hangar.
  const app = hangar.app;
  app.get('/probe-form', guard({ access: 'public' }), pageRoute((c) =>
    renderPage(c, { title: 'Probe <form>', formAction: [formActionSource('https://client.example.com/cb?x=1')], body: postForm(c, { action: '/probe-form', content: inputField({ name: 'word', label: 'Word' }), buttons: [{ label: 'Send' }] }) }),
  ));
  app.post('/probe-form', guard({ access: 'public' }), pageRoute(async (c) => {
    const form = await readForm(c, z.object({ word: z.string().min(3, 'must be at least 3 characters') }));
    return renderPage(c, { title: 'Done', body: form.ok ? html`<p>got ${form.data.word}</p>` : html`<p>error ${form.errors.word ?? ''}</p>`, status: form.ok ? 200 : 400 });
  }));
  app.get('/probe-login', guard({ access: 'public' }), pageRoute((c) => renderPage(c, { title: 'Sign in', body: signInForm(c, { action: '/probe-login' }) })));
  app.post('/probe-login', guard({ access: 'public' }), pageRoute(async (c) => {
    const form = await readForm(c, SignInFormSchema);
    if (!form.ok) return renderPage(c, { title: 'Sign in', status: 400, body: signInForm(c, { action: '/probe-login', errors: form.errors }) });
    const result = await signInWithForm(c, form.data);
    if (!result.ok) return renderPage(c, { title: 'Sign in', status: 401, body: signInForm(c, { action: '/probe-login', email: form.data.email, errors: { password: result.error } }) });
    return c.redirect('/probe-form', 303);
  }));
  app.get('/probe-crash', guard({ access: 'public' }), pageRoute(() => {
    throw new Error('relation "users" does not exist at secret-host:5432');
  }));
});
afterAll(async () => {
  await hangar.dispose();
});

/** GETs the probe form and returns the browser state a real client would keep: the cookie and the token. */
async function openForm(cookie?: string): Promise<{ cookie: string; token: string }> {
  const res = await hangar.request('/probe-form', { headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(200);
  const body = await res.text();
  const token = body.match(/name="csrf" value="([0-9a-f]{64})"/)?.[1];
  const set = res.headers.get('set-cookie')?.match(/hangar_form=([^;]+)/)?.[1];
  expect(token).toBeDefined();
  const formCookie = set ? `hangar_form=${set}` : (cookie ?? '').split('; ').find((p) => p.startsWith('hangar_form=')) ?? '';
  return { cookie: [cookie, set ? formCookie : undefined].filter(Boolean).join('; '), token: token ?? '' };
}

function post(fields: Record<string, string>, headers: Record<string, string>): Promise<Response> {
  return hangar.request('/probe-form', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
}

describe('html', () => {
  it('escapes every interpolation and passes nested fragments through', () => {
    const out = html`<p title="${'"><script>'}">${'<b>&\''}${html`<i>${'<x>'}</i>`}${['a', html`<br>`, null, false, 3]}</p>`;
    expect(out.toString()).toBe('<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;&#39;<i>&lt;x&gt;</i>a<br>3</p>');
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
    expect(() => new Html('<script>', Symbol('html'))).toThrow(TypeError);
  });
});

describe('CSP', () => {
  it('builds form-action sources only from real redirect targets', () => {
    expect(formActionSource('https://client.example.com/callback?a=b')).toBe('https://client.example.com');
    expect(formActionSource('http://127.0.0.1:33418/cb')).toBe('http://127.0.0.1:33418');
    expect(formActionSource('vscode://auth/cb')).toBe('vscode:');
    expect(() => formActionSource('javascript:alert(1)')).toThrow(TypeError);
    expect(() => formActionSource('data:text/html,x')).toThrow(TypeError);
    expect(() => pageCsp(["'self'; script-src *"])).toThrow(TypeError);
  });

  it('gives a page its own CSP, referrer policy and no-store; every other answer keeps the global CSP', async () => {
    const res = await hangar.request('/probe-form');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://client.example.com; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(body).toContain('<title>Probe &lt;form&gt; · Hangar</title>');
    expect(body).toContain(`<link rel="stylesheet" href="${PAGE_STYLESHEET_PATH}">`);
    expect(body).toContain('<label for="f-word">Word</label>');
    expect(body).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
    const api = await hangar.request('/healthz');
    expect(api.headers.get('content-security-policy')).toContain("form-action 'none'");
    expect(api.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves the stylesheet itself', async () => {
    const res = await hangar.request(PAGE_STYLESHEET_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await res.text()).toContain('font:');
  });
});

describe('CSRF', () => {
  it('accepts a form with its token, cookie and own Origin, and shows field errors', async () => {
    const { cookie, token } = await openForm();
    const ok = await post({ csrf: token, word: 'hello' }, { cookie, origin });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<p>got hello</p>');
    const short = await post({ csrf: token, word: 'hi' }, { cookie, origin });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('error must be at least 3 characters');
  });

  it('refuses a missing, forged or foreign token with 403 csrf_rejected, as a page', async () => {
    const mine = await openForm();
    const theirs = await openForm();
    const cases: Array<[Record<string, string>, Record<string, string>]> = [
      [{ word: 'hello' }, { cookie: mine.cookie, origin }],
      [{ csrf: 'f'.repeat(64), word: 'hello' }, { cookie: mine.cookie, origin }],
      [{ csrf: theirs.token, word: 'hello' }, { cookie: mine.cookie, origin }],
      [{ csrf: mine.token, word: 'hello' }, { origin }],
    ];
    for (const [fields, headers] of cases) {
      const res = await post(fields, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('<code>csrf_rejected</code>');
    }
  });

  it('refuses a POST from a foreign Origin before the handler runs', async () => {
    const { cookie, token } = await openForm();
    const res = await post({ csrf: token, word: 'hello' }, { cookie, origin: 'https://evil.example.net' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('csrf_rejected');
  });

  it('binds the token to the session: one minted before sign-in fails after it', async () => {
    const anonymous = await openForm();
    const user = await signUpUser(hangar);
    const cookie = `${anonymous.cookie}; ${user.cookie}`;
    expect((await post({ csrf: anonymous.token, word: 'hello' }, { cookie, origin })).status).toBe(403);
    const signedIn = await openForm(cookie);
    expect((await post({ csrf: signedIn.token, word: 'hello' }, { cookie, origin })).status).toBe(200);
  });
});

it('names the form cookie __Host- and marks it Secure when Hangar is served over https', async () => {
  const secure = await createTestHangar({ env: { HANGAR_PUBLIC_URL: 'https://hangar.example.com' } });
  try {
    secure.app.get('/probe-secure', guard({ access: 'public' }), pageRoute((c) => renderPage(c, { title: 'Probe', body: postForm(c, { action: '/probe-secure', content: html``, buttons: [{ label: 'Go' }] }) })));
    const page = await secure.request('/probe-secure');
    expect(page.headers.get('set-cookie')).toMatch(/^__Host-hangar_form=hgf_[0-9a-z]{32}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  } finally {
    await secure.dispose();
  }
});

describe('sign-in form', () => {
  it('signs in like the JSON login (session cookie, 303) and shows a wrong password on the form', async () => {
    const user = await signUpUser(hangar);
    const page = await hangar.request('/probe-login');
    const text = await page.text();
    expect(text).toMatch(/<input id="f-email" name="email" type="email" autocomplete="username"/);
    expect(text).toMatch(/<input id="f-password" name="password" type="password" autocomplete="current-password"/);
    const token = text.match(/name="csrf" value="([0-9a-f]{64})"/)?.[1] ?? '';
    const cookie = `hangar_form=${page.headers.get('set-cookie')?.match(/hangar_form=([^;]+)/)?.[1] ?? ''}`;
    const send = (password: string) => hangar.request('/probe-login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin }, body: new URLSearchParams({ csrf: token, email: user.user.email, password }).toString() });
    const wrong = await send('not-the-password');
    expect(wrong.status).toBe(401);
    const wrongText = await wrong.text();
    expect(wrongText).toContain('Invalid email or password');
    expect(wrongText).toContain(`value="${user.user.email}"`);
    expect(wrong.headers.get('set-cookie') ?? '').not.toContain('hangar_session=');
    const right = await send(user.password);
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/probe-form');
    const session = right.headers.get('set-cookie')?.match(/hangar_session=([^;]+)/)?.[1] ?? '';
    const me = await hangar.request('/v1/me', { headers: { cookie: `hangar_session=${session}` } });
    expect(me.status).toBe(200);
  });
});

it('answers an unexpected error with a 500 page that shows no internals, and logs it', async () => {
  const res = await hangar.request('/probe-crash');
  expect(res.status).toBe(500);
  const body = await res.text();
  expect(body).toContain('<code>internal_error</code>');
  expect(body).not.toMatch(/relation|secret-host|at .*\.ts/);
  expect(hangar.logs.text()).toContain('unhandled error');
});
