import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, signUpUser, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { authorizeThroughPages, authorizeUrl, CookieJar, pkcePair, registerClient, submitForm, tokenRequest } from '../../test/oauth-client.ts';
import { seedDeployment } from '../../test/seed-deployment.ts';
import { hashToken } from '../platform/ids.ts';
import { redirectUriProblem } from './redirect-uris.ts';

const BASE = 'http://localhost:8080';
const REDIRECT = 'http://127.0.0.1:47123/callback';

let hangar: TestHangar;
let owner: TestUser;
let depA: string;
let depB: string;
let clientId: string;

const resourceOf = (id: string) => `${BASE}/v1/deployments/${id}/mcp`;

beforeAll(async () => {
  hangar = await createTestHangar();
  owner = await signUpUser(hangar);
  depA = await seedDeployment(hangar, { teamId: owner.team.id, userId: owner.user.id, name: 'alpha' });
  depB = await seedDeployment(hangar, { teamId: owner.team.id, userId: owner.user.id, name: 'beta' });
  clientId = await registerClient(hangar, [REDIRECT], 'Flow Client');
});
afterAll(async () => {
  await hangar.dispose();
});

/** The whole flow for `user` on `dep`: returns the token response. */
async function obtainTokens(user: TestUser, dep: string, scope = 'mcp offline_access'): Promise<{ access_token: string; refresh_token?: string; grantId: string }> {
  const { verifier, challenge } = pkcePair();
  const back = await authorizeThroughPages(hangar, { email: user.user.email, password: user.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(dep), scope, state: 'st-1', challenge });
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code: ${back.toString()}`);
  const res = await tokenRequest(hangar, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource: resourceOf(dep) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; refresh_token?: string };
  const row = await hangar.services.db.oAuthToken.findUniqueOrThrow({ where: { tokenHash: hashToken(body.access_token) } });
  return { ...body, grantId: row.grantId };
}

/** An MCP call with the token: 503 (not running) means authentication passed; 401 means it was refused. */
async function mcpStatus(token: string, dep: string): Promise<number> {
  const res = await hangar.request(`/v1/deployments/${dep}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
  return res.status;
}

describe('authorization code flow through the pages', () => {
  it('signs in, consents, and redirects with code, echoed state and iss; the token works on that deployment only', async () => {
    const { verifier, challenge } = pkcePair();
    const back = await authorizeThroughPages(hangar, { email: owner.user.email, password: owner.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), scope: 'mcp offline_access', state: 'xyz "<state>"', challenge });
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('xyz "<state>"');
    expect(back.searchParams.get('iss')).toBe(BASE);
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^hgoc_/);
    const res = await tokenRequest(hangar, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource: resourceOf(depA) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = (await res.json()) as Record<string, unknown>;
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'mcp offline_access' });
    const access = tokens.access_token as string;
    expect(access).toMatch(/^hgo_/);
    expect(tokens.refresh_token).toMatch(/^hgor_/);
    // Stored hashed only.
    expect(await hangar.services.db.oAuthToken.count({ where: { tokenHash: access } })).toBe(0);

    expect(await mcpStatus(access, depA)).toBe(503);
    const other = await hangar.request(`/v1/deployments/${depB}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' }, body: '{}' });
    expect(other.status).toBe(401);
    expect(other.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const me = await hangar.request('/v1/me', { headers: { authorization: `Bearer ${access}` } });
    expect(me.status).toBe(401);
    const rest = await hangar.request(`/v1/deployments/${depA}`, { headers: { authorization: `Bearer ${access}` } });
    expect(rest.status).toBe(401);
  });

  it('the pages: login form, then a consent page naming client, host, deployment and team, with its own CSP', async () => {
    const { challenge } = pkcePair();
    const jar = new CookieJar();
    const url = authorizeUrl({ clientId, redirectUri: REDIRECT, resource: resourceOf(depA), challenge, state: 's' });
    const login = await hangar.request(url);
    jar.take(login);
    const loginPage = await login.text();
    expect(login.status).toBe(200);
    expect(loginPage).toContain('name="email"');
    expect(loginPage).toContain('name="password"');
    expect(loginPage).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(loginPage).not.toContain('<script');
    const csp = login.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self'");

    const signedIn = await submitForm(hangar, jar, '/oauth/authorize/login', loginPage, { email: owner.user.email, password: owner.password });
    expect(signedIn.status).toBe(303);
    const consent = await hangar.request(signedIn.headers.get('location')!, { headers: { cookie: jar.header() } });
    const page = await consent.text();
    expect(consent.status).toBe(200);
    expect(page).toContain('Flow Client');
    expect(page).toContain('127.0.0.1:47123');
    expect(page).toContain('alpha');
    expect(page).toContain(owner.team.slug);
    expect(page).toMatch(/<button type="submit" name="decision" value="allow">Allow<\/button>/);
    expect(page).toMatch(/<button type="submit" name="decision" value="deny"[^>]*>Deny<\/button>/);
    expect(page).not.toContain('<script');
    expect(consent.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http://127.0.0.1:47123; frame-ancestors 'none'; base-uri 'none'",
    );

    // A consent POST without the page's CSRF token changes nothing.
    const before = await hangar.services.db.oAuthGrant.count();
    const forged = await hangar.request('/oauth/authorize/consent', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, cookie: jar.header() },
      body: new URLSearchParams({ ...Object.fromEntries(new URL(url, BASE).searchParams), decision: 'allow' }).toString(),
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(await hangar.services.db.oAuthGrant.count()).toBe(before);
  });

  it('a wrong password re-renders the login form with 401 and no session', async () => {
    const { challenge } = pkcePair();
    const jar = new CookieJar();
    const res = await hangar.request(authorizeUrl({ clientId, redirectUri: REDIRECT, resource: resourceOf(depA), challenge }));
    jar.take(res);
    const bad = await submitForm(hangar, jar, '/oauth/authorize/login', await res.text(), { email: owner.user.email, password: 'wrong-password-1' });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('Invalid email or password');
    expect(jar.cookies.has('hangar_session')).toBe(false);
  });
});

describe('refusals', () => {
  it('Deny redirects with error=access_denied, state and iss, and grants nothing', async () => {
    const before = await hangar.services.db.oAuthGrant.count();
    const back = await authorizeThroughPages(hangar, { email: owner.user.email, password: owner.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), state: 'deny-me', challenge: pkcePair().challenge }, 'deny');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('deny-me');
    expect(back.searchParams.get('iss')).toBe(BASE);
    expect(back.searchParams.get('code')).toBeNull();
    expect(await hangar.services.db.oAuthGrant.count()).toBe(before);
  });

  it('an unregistered redirect_uri gets Hangar’s own error page, never a redirect', async () => {
    for (const redirectUri of ['http://127.0.0.1:47123/callback/', 'http://127.0.0.1:47124/callback', 'https://evil.example/cb']) {
      const res = await hangar.request(authorizeUrl({ clientId, redirectUri, resource: resourceOf(depA), challenge: pkcePair().challenge }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('redirect_uri is not one the client registered');
    }
    const unknown = await hangar.request(authorizeUrl({ clientId: 'oac_zzzzzzzzzzzzzzzz', redirectUri: REDIRECT, resource: resourceOf(depA), challenge: pkcePair().challenge }));
    expect(unknown.status).toBe(400);
  });

  it('plain PKCE, a missing challenge, a missing or foreign resource and an unknown scope are sent back as errors', async () => {
    const base = { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), state: 'e', challenge: pkcePair().challenge };
    const cases: Array<[Parameters<typeof authorizeUrl>[0], string]> = [
      [{ ...base, method: 'plain' }, 'invalid_request'],
      [{ ...base, challenge: '' }, 'invalid_request'],
      [{ ...base, resource: undefined }, 'invalid_target'],
      [{ ...base, resource: 'https://other.example/mcp' }, 'invalid_target'],
      [{ ...base, scope: 'mcp admin' }, 'invalid_scope'],
    ];
    for (const [input, error] of cases) {
      const res = await hangar.request(authorizeUrl(input), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const to = new URL(res.headers.get('location')!);
      expect([to.searchParams.get('error'), to.searchParams.get('state'), to.searchParams.get('iss')]).toEqual([error, 'e', BASE]);
    }
    const plain = await hangar.request(authorizeUrl({ ...base, method: 'plain' }), { redirect: 'manual' });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error_description')).toContain('S256');
  });

  it('the token endpoint refuses a wrong verifier, redirect_uri, client or resource, and a missing resource', async () => {
    const { verifier, challenge } = pkcePair();
    const back = await authorizeThroughPages(hangar, { email: owner.user.email, password: owner.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), challenge });
    const code = back.searchParams.get('code')!;
    const good = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource: resourceOf(depA) };
    const missing = await tokenRequest(hangar, { ...good, resource: '' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_request');
    const noResource = await tokenRequest(hangar, Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'resource')));
    expect(await noResource.json()).toEqual({ error: 'invalid_target', error_description: 'resource (RFC 8707) is required: the MCP URL of the deployment' });
    const wrongVerifier = await tokenRequest(hangar, { ...good, code_verifier: pkcePair().verifier });
    expect(wrongVerifier.status).toBe(400);
    expect(((await wrongVerifier.json()) as { error: string }).error).toBe('invalid_grant');
    // The code was spent by that attempt; a second use (even the right one) revokes the grant.
    const replay = await tokenRequest(hangar, good);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');

    for (const [field, value] of [['redirect_uri', 'http://127.0.0.1:47123/other'], ['client_id', 'oac_zzzzzzzzzzzzzzzz'], ['resource', resourceOf(depB)]] as const) {
      const { verifier: v, challenge: ch } = pkcePair();
      const again = await authorizeThroughPages(hangar, { email: owner.user.email, password: owner.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), challenge: ch });
      const res = await tokenRequest(hangar, { ...good, code: again.searchParams.get('code')!, code_verifier: v, [field]: value });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(field === 'resource' ? 'invalid_target' : 'invalid_grant');
    }
    const grantType = await tokenRequest(hangar, { grant_type: 'password', username: 'a', password: 'b' });
    expect(((await grantType.json()) as { error: string }).error).toBe('unsupported_grant_type');
    const json = await hangar.request('/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) });
    expect(json.status).toBe(400);
  });

  it('a code used twice revokes its grant: the tokens of the first use die', async () => {
    const { verifier, challenge } = pkcePair();
    const back = await authorizeThroughPages(hangar, { email: owner.user.email, password: owner.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), challenge });
    const fields = { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource: resourceOf(depA) };
    const first = (await (await tokenRequest(hangar, fields)).json()) as { access_token: string };
    expect(await mcpStatus(first.access_token, depA)).toBe(503);
    const second = await tokenRequest(hangar, fields);
    expect(second.status).toBe(400);
    expect(await mcpStatus(first.access_token, depA)).toBe(401);
  });

  it('refresh tokens rotate; a reused one revokes the whole family', async () => {
    const t = await obtainTokens(owner, depA);
    const r1 = await tokenRequest(hangar, { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: clientId, resource: resourceOf(depA) });
    expect(r1.status).toBe(200);
    const next = (await r1.json()) as { access_token: string; refresh_token: string };
    expect(next.refresh_token).not.toBe(t.refresh_token);
    expect(await mcpStatus(next.access_token, depA)).toBe(503);
    const reused = await tokenRequest(hangar, { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: clientId });
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
    expect(await mcpStatus(next.access_token, depA)).toBe(401);
    expect(await mcpStatus(t.access_token, depA)).toBe(401);
    const rotated = await tokenRequest(hangar, { grant_type: 'refresh_token', refresh_token: next.refresh_token, client_id: clientId });
    expect(rotated.status).toBe(400);
    expect((await hangar.services.db.oAuthGrant.findUniqueOrThrow({ where: { id: t.grantId } })).revokedReason).toBe('refresh_reuse');
  });

  it('without offline_access there is no refresh token', async () => {
    const t = await obtainTokens(owner, depA, 'mcp');
    expect(t.refresh_token).toBeUndefined();
  });

  it('RFC 7009 revocation kills the grant; unknown tokens get the same 200', async () => {
    const t = await obtainTokens(owner, depA);
    const res = await hangar.request('/oauth/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://client.example' }, body: new URLSearchParams({ token: t.refresh_token!, client_id: clientId }).toString() });
    expect(res.status).toBe(200);
    expect(await mcpStatus(t.access_token, depA)).toBe(401);
    const unknown = await hangar.request('/oauth/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=hgo_nothingnothingnothing00' });
    expect(unknown.status).toBe(200);
  });
});

describe('grants die with their user, membership or deployment', () => {
  it('GET /v1/me/grants lists them; DELETE revokes at once; another user’s grant is a 404', async () => {
    const t = await obtainTokens(owner, depA);
    const list = await hangar.request('/v1/me/grants', { headers: owner.keyHeaders });
    expect(list.status).toBe(200);
    const grants = ((await list.json()) as { data: Array<{ id: string; clientName: string; deploymentName: string; scopes: string[] }> }).data;
    expect(grants.find((g) => g.id === t.grantId)).toMatchObject({ clientName: 'Flow Client', deploymentName: 'alpha', scopes: ['mcp', 'offline_access'] });
    const stranger = await signUpUser(hangar);
    const foreign = await hangar.request(`/v1/me/grants/${t.grantId}`, { method: 'DELETE', headers: stranger.keyHeaders });
    expect(foreign.status).toBe(404);
    expect(await mcpStatus(t.access_token, depA)).toBe(503);
    const del = await hangar.request(`/v1/me/grants/${t.grantId}`, { method: 'DELETE', headers: owner.keyHeaders });
    expect(del.status).toBe(204);
    expect(await mcpStatus(t.access_token, depA)).toBe(401);
    const refreshed = await tokenRequest(hangar, { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: clientId });
    expect(refreshed.status).toBe(400);
    const after = ((await (await hangar.request('/v1/me/grants', { headers: owner.keyHeaders })).json()) as { data: Array<{ id: string }> }).data;
    expect(after.map((g) => g.id)).not.toContain(t.grantId);
    const again = await hangar.request(`/v1/me/grants/${t.grantId}`, { method: 'DELETE', headers: owner.keyHeaders });
    expect(again.status).toBe(404);
    const byToken = await hangar.request('/v1/me/grants', { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(byToken.status).toBe(401);
  });

  it('a disabled user’s tokens stop at once, and refresh fails', async () => {
    const member = await signUpUser(hangar);
    await addMember(hangar, owner.team.id, member.user.id, 'member');
    const t = await obtainTokens(member, depA);
    expect(await mcpStatus(t.access_token, depA)).toBe(503);
    await hangar.services.db.user.update({ where: { id: member.user.id }, data: { disabledAt: new Date() } });
    expect(await mcpStatus(t.access_token, depA)).toBe(401);
    const res = await tokenRequest(hangar, { grant_type: 'refresh_token', refresh_token: t.refresh_token!, client_id: clientId });
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('leaving the team, being removed, and being deleted each end the tokens', async () => {
    const leaver = await signUpUser(hangar);
    const removed = await signUpUser(hangar);
    const deleted = await signUpUser(hangar);
    for (const u of [leaver, removed, deleted]) await addMember(hangar, owner.team.id, u.user.id, 'member');
    const [tl, tr, td] = [await obtainTokens(leaver, depA), await obtainTokens(removed, depA), await obtainTokens(deleted, depA)];
    for (const t of [tl, tr, td]) expect(await mcpStatus(t.access_token, depA)).toBe(503);
    const left = await hangar.request(`/v1/teams/${owner.team.id}/leave`, { method: 'POST', headers: leaver.keyHeaders });
    expect(left.status).toBe(204);
    const kicked = await hangar.request(`/v1/teams/${owner.team.id}/members/${removed.user.id}`, { method: 'DELETE', headers: owner.keyHeaders });
    expect(kicked.status).toBe(204);
    const gone = await hangar.request('/v1/me', { method: 'DELETE', headers: deleted.keyHeaders, body: JSON.stringify({ password: deleted.password }) });
    expect([200, 202, 204]).toContain(gone.status);
    for (const t of [tl, tr, td]) expect(await mcpStatus(t.access_token, depA)).toBe(401);
  });

  it('deleting the deployment ends its tokens; a viewer or another team’s user cannot get one', async () => {
    const depC = await seedDeployment(hangar, { teamId: owner.team.id, userId: owner.user.id, name: 'gamma' });
    const t = await obtainTokens(owner, depC);
    expect(await mcpStatus(t.access_token, depC)).toBe(503);
    const del = await hangar.request(`/v1/deployments/${depC}`, { method: 'DELETE', headers: owner.keyHeaders });
    expect(del.status).toBe(202);
    expect(await mcpStatus(t.access_token, depC)).toBe(401);

    const viewer = await signUpUser(hangar);
    await addMember(hangar, owner.team.id, viewer.user.id, 'viewer');
    const outsider = await signUpUser(hangar);
    for (const u of [viewer, outsider]) {
      const back = await authorizeThroughPages(hangar, { email: u.user.email, password: u.password }, { clientId, redirectUri: REDIRECT, resource: resourceOf(depA), state: 'v', challenge: pkcePair().challenge });
      expect([back.searchParams.get('error'), back.searchParams.get('state'), back.searchParams.get('iss')]).toEqual(['invalid_target', 'v', BASE]);
    }
  });
});

describe('registration', () => {
  it('refuses non-loopback http, fragments, secrets and foreign grant types with RFC 7591 errors', async () => {
    const post = (body: unknown) => hangar.request('/oauth/register', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://elsewhere.example' }, body: JSON.stringify(body) });
    const cases: Array<[unknown, string]> = [
      [{ redirect_uris: ['http://example.com/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://example.com/cb#frag'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: [] }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://example.com/cb'], grant_types: ['implicit'] }, 'invalid_client_metadata'],
      [[], 'invalid_client_metadata'],
    ];
    const before = await hangar.services.db.oAuthClient.count();
    for (const [body, error] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
    expect(await hangar.services.db.oAuthClient.count()).toBe(before);
    const ok = await post({ redirect_uris: ['https://vscode.dev/redirect', 'http://127.0.0.1:33418/'], client_name: 'VS Code' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ client_name: 'VS Code', token_endpoint_auth_method: 'none', redirect_uris: ['https://vscode.dev/redirect', 'http://127.0.0.1:33418/'] });
  });

  it('loopback http redirect URIs are allowed outside production only', () => {
    expect(redirectUriProblem('http://127.0.0.1:9/cb', { production: false })).toBeUndefined();
    expect(redirectUriProblem('http://[::1]:9/cb', { production: false })).toBeUndefined();
    expect(redirectUriProblem('http://localhost:9/cb', { production: true })).toContain('only outside production');
    expect(redirectUriProblem('https://claude.ai/api/mcp/auth_callback', { production: true })).toBeUndefined();
  });
});
