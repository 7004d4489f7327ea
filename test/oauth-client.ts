import { createHash, randomBytes } from 'node:crypto';
import { trustedOrigin } from './accounts.ts';
import type { TestHangar } from './hangar.ts';

/**
 * A hand-written OAuth public client for in-process tests: PKCE, registration, and the authorization pages
 * driven as a browser without JavaScript would (cookies kept, hidden fields and the CSRF token submitted).
 */

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function registerClient(hangar: TestHangar, redirectUris: string[], name = 'Test Client'): Promise<string> {
  const res = await hangar.request('/oauth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: redirectUris, client_name: name, token_endpoint_auth_method: 'none' }) });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { client_id: string }).client_id;
}

/** A browser's cookie jar, enough for Hangar's own cookies. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Every hidden and named input of the page's (first) form, as a browser would submit them. */
export function formFields(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[m[1]!] = decodeEntities(m[2]!);
  return out;
}

function decodeEntities(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export interface AuthorizeInput {
  clientId: string;
  redirectUri: string;
  resource?: string;
  scope?: string;
  state?: string;
  challenge: string;
  method?: string;
}

export function authorizeUrl(input: AuthorizeInput): string {
  const q = new URLSearchParams({ response_type: 'code', client_id: input.clientId, redirect_uri: input.redirectUri, code_challenge: input.challenge, code_challenge_method: input.method ?? 'S256' });
  if (input.resource !== undefined) q.set('resource', input.resource);
  if (input.scope !== undefined) q.set('scope', input.scope);
  if (input.state !== undefined) q.set('state', input.state);
  return `/oauth/authorize?${q.toString()}`;
}

/** Submits a page's form with `extra` fields, as the browser does (same-origin Origin, the jar's cookies). */
export async function submitForm(hangar: TestHangar, jar: CookieJar, action: string, page: string, extra: Record<string, string>): Promise<Response> {
  const res = await hangar.request(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: trustedOrigin(hangar), cookie: jar.header() },
    body: new URLSearchParams({ ...formFields(page), ...extra }).toString(),
    redirect: 'manual',
  });
  jar.take(res);
  return res;
}

/**
 * Runs the pages from the authorization URL to the client's redirect: sign in (unless the jar already has a
 * session), then press Allow or Deny. Returns the redirect's Location.
 */
export async function authorizeThroughPages(
  hangar: TestHangar,
  user: { email: string; password: string },
  input: AuthorizeInput,
  decision: 'allow' | 'deny' = 'allow',
  jar = new CookieJar(),
): Promise<URL> {
  const url = authorizeUrl(input);
  let res = await hangar.request(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
  jar.take(res);
  let page = await res.text();
  if (page.includes('name="password"')) {
    res = await submitForm(hangar, jar, '/oauth/authorize/login', page, { email: user.email, password: user.password });
    if (res.status !== 303) throw new Error(`login answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    res = await hangar.request(res.headers.get('location')!, { headers: { cookie: jar.header() }, redirect: 'manual' });
    jar.take(res);
    page = await res.text();
  }
  if (res.status === 302) return new URL(res.headers.get('location')!);
  if (res.status !== 200) throw new Error(`authorize answered ${res.status}: ${page.slice(0, 300)}`);
  res = await submitForm(hangar, jar, '/oauth/authorize/consent', page, { decision });
  if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return new URL(res.headers.get('location')!);
}

/** POSTs a form to the token endpoint. */
export function tokenRequest(hangar: TestHangar, fields: Record<string, string>): Promise<Response> {
  return hangar.request('/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}
