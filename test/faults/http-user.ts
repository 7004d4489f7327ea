import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** A user signed up over real HTTP, with a full-scope API key. */
export interface HttpUser {
  email: string;
  password: string;
  userId: string;
  teamId: string;
  /** `{ authorization: 'Bearer hgr_...' }` */
  headers: Record<string, string>;
}

/** A JSON request init (`fetch` second argument). */
export function jsonRequest(method: string, headers: Record<string, string>, body?: unknown): RequestInit {
  return { method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) };
}

/**
 * Signs a user up on the Hangar at `baseUrl` (a process on loopback) and creates an API key with the session
 * (the Origin is the process's public URL, as a browser on it would send). With `pool`, marks the email as
 * verified straight in the database, as following the mailed link would, so the user may deploy.
 */
export async function signUpOverHttp(baseUrl: string, origin: string, pool?: pg.Pool): Promise<HttpUser> {
  const email = `load-${randomBytes(6).toString('hex')}@example.com`;
  const password = `Pw-${randomBytes(12).toString('base64url')}`;
  const signup = await fetch(`${baseUrl}/v1/auth/signup`, jsonRequest('POST', {}, { email, password }));
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${await signup.text()}`);
  const body = (await signup.json()) as { user: { id: string }; teamId: string };
  const cookie = /hangar_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')?.[0];
  if (!cookie) throw new Error('signup set no session cookie');
  if (pool) await pool.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [body.user.id]);
  const key = await fetch(`${baseUrl}/v1/me/keys`, jsonRequest('POST', { cookie, origin }, { name: 'load', scopes: ['read', 'write', 'mcp', 'admin'] }));
  if (key.status !== 201) throw new Error(`key: ${key.status} ${await key.text()}`);
  const { key: apiKey } = (await key.json()) as { key: string };
  return { email, password, userId: body.user.id, teamId: body.teamId, headers: { authorization: `Bearer ${apiKey}` } };
}
