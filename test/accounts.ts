import { randomBytes } from 'node:crypto';
import type { Scope, TeamRole } from '../api/auth/principal.ts';
import type { TestHangar } from './hangar.ts';

/** A signed-up test user with every way to call the API as them. */
export interface TestUser {
  user: { id: string; email: string };
  password: string;
  /** A full-scope API key (`hgr_...`), unless `scopes` narrowed it. */
  apiKey: string;
  apiKeyId: string;
  /** `hangar_session=...`, ready for a `cookie` header. */
  cookie: string;
  /** The user's personal team. */
  team: { id: string; slug: string };
  /** Headers for calls with the API key. */
  keyHeaders: Record<string, string>;
  /** Headers for calls with the session cookie (with an allowed Origin, so state changes pass CSRF). */
  cookieHeaders: Record<string, string>;
}

/** The origin a test Hangar trusts for cookie-authenticated requests. */
export function trustedOrigin(hangar: TestHangar): string {
  return new URL(hangar.services.config.publicUrl).origin;
}

/** A JSON request init with the given headers. */
export function jsonInit(method: string, headers: Record<string, string>, body?: unknown): RequestInit {
  return { method, headers: { ...headers, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) };
}

/**
 * Signs a user up through the real API (argon2, personal team, session), then sets the global role and
 * verification as asked (defaults: verified, not admin; the first user of a database is demoted unless
 * `globalAdmin`) and creates an API key with `scopes` (default all) through the API.
 */
export async function signUpUser(
  hangar: TestHangar,
  options: { email?: string; password?: string; name?: string; verified?: boolean; globalAdmin?: boolean; scopes?: Scope[]; keyTeamId?: string } = {},
): Promise<TestUser> {
  const email = options.email ?? `user-${randomBytes(5).toString('hex')}@example.com`;
  const password = options.password ?? `Pw-${randomBytes(9).toString('base64url')}`;
  const res = await hangar.request('/v1/auth/signup', jsonInit('POST', {}, { email, password, name: options.name }));
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string; email: string }; teamId: string };
  const cookie = sessionCookieFrom(res);
  const { db, clock } = hangar.services;
  await db.user.update({
    where: { id: body.user.id },
    data: { globalRole: options.globalAdmin ? 'admin' : 'user', emailVerifiedAt: options.verified === false ? null : clock.now() },
  });
  const team = await db.team.findUniqueOrThrow({ where: { id: body.teamId }, select: { id: true, slug: true } });
  const cookieHeaders = { cookie, origin: trustedOrigin(hangar) };
  const keyRes = await hangar.request(
    '/v1/me/keys',
    jsonInit('POST', cookieHeaders, { name: 'test', scopes: options.scopes ?? ['read', 'write', 'mcp', 'admin'], teamId: options.keyTeamId }),
  );
  if (keyRes.status !== 201) throw new Error(`key creation failed: ${keyRes.status} ${await keyRes.text()}`);
  const key = (await keyRes.json()) as { id: string; key: string };
  return {
    user: { id: body.user.id, email: body.user.email },
    password,
    apiKey: key.key,
    apiKeyId: key.id,
    cookie,
    team,
    keyHeaders: { authorization: `Bearer ${key.key}` },
    cookieHeaders,
  };
}

/** The `hangar_session=...` pair from a response's Set-Cookie. */
export function sessionCookieFrom(res: Response): string {
  const header = res.headers.get('set-cookie') ?? '';
  const match = header.match(/hangar_session=([^;]+)/);
  if (!match) throw new Error('no session cookie in response');
  return `hangar_session=${match[1]}`;
}

/** Adds `user` to `teamId` with `role` directly in the database (fast fixture setup). */
export async function addMember(hangar: TestHangar, teamId: string, userId: string, role: TeamRole): Promise<void> {
  await hangar.services.db.membership.create({ data: { teamId, userId, role } });
}

/** A team with one user in each role, an outsider who owns another team, a disabled user and a global admin. */
export interface TeamFixture {
  team: { id: string; slug: string };
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  viewer: TestUser;
  outsider: TestUser;
  disabled: TestUser;
  globalAdmin: TestUser;
  /** A key of the team's owner with only the `mcp` scope: too narrow for any REST route but MCP. */
  narrowKey: string;
}

/** Builds a TeamFixture through the API (the team is the owner's personal team). */
export async function createTeamFixture(hangar: TestHangar): Promise<TeamFixture> {
  const [owner, admin, member, viewer, outsider, disabled, globalAdmin] = await Promise.all([
    signUpUser(hangar),
    signUpUser(hangar),
    signUpUser(hangar),
    signUpUser(hangar),
    signUpUser(hangar),
    signUpUser(hangar),
    signUpUser(hangar, { globalAdmin: true }),
  ]);
  const team = owner.team;
  await addMember(hangar, team.id, admin.user.id, 'admin');
  await addMember(hangar, team.id, member.user.id, 'member');
  await addMember(hangar, team.id, viewer.user.id, 'viewer');
  await addMember(hangar, team.id, disabled.user.id, 'member');
  await hangar.services.db.user.update({ where: { id: disabled.user.id }, data: { disabledAt: hangar.services.clock.now() } });
  const narrow = await hangar.request('/v1/me/keys', jsonInit('POST', owner.keyHeaders, { name: 'narrow', scopes: ['mcp'] }));
  const narrowKey = ((await narrow.json()) as { key: string }).key;
  return { team, owner, admin, member, viewer, outsider, disabled, globalAdmin, narrowKey };
}
