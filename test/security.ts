import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Scope, TeamRole } from '../api/auth/principal.ts';
import { createSession, SESSION_COOKIE } from '../api/auth/sessions.ts';
import { hashToken, newId, newSecretToken } from '../api/platform/ids.ts';
import { createTeam } from '../api/teams/team-service.ts';
import { jsonInit, trustedOrigin, type TeamFixture, type TestUser } from './accounts.ts';
import type { TestHangar } from './hangar.ts';

/** One request of the route under test; `path` and `body` may use the fixture's team and users. */
export interface BatteryRequest {
  method: string;
  path: string;
  body?: unknown;
}

export interface SecurityBatteryOptions {
  /** The test file's Hangar (called after its beforeAll ran). */
  hangar: () => TestHangar;
  /**
   * Builds the request against a resource of `fx.team` (owned by `fx.owner`); may create that resource
   * first. Called once per case, so it can create a fresh resource each time.
   */
  request: (fx: TeamFixture) => BatteryRequest | Promise<BatteryRequest>;
  /** Team data: another team's owner must get 404 (default true). */
  teamScoped?: boolean;
  /** A key of the owner with these scopes must get 403 (omit to skip; e.g. ['read'] for a write route). */
  tooNarrowScopes?: Scope[];
}

async function call(hangar: TestHangar, req: BatteryRequest, headers: Record<string, string>): Promise<Response> {
  return hangar.request(req.path, jsonInit(req.method, headers, req.body));
}

const ALL_SCOPES: Scope[] = ['read', 'write', 'mcp', 'admin'];

/**
 * One user seeded straight into the database (no sign-up request, no argon2): verified, with a personal
 * team, a session and an API key of `scopes`. The password is not stored (the battery never logs in).
 */
async function seedUser(hangar: TestHangar, options: { globalAdmin?: boolean; scopes?: Scope[] } = {}): Promise<TestUser> {
  const { db, clock } = hangar.services;
  const now = clock.now();
  const email = `battery-${randomBytes(5).toString('hex')}@example.com`;
  const apiKey = newSecretToken('hgr_');
  const apiKeyId = newId('key');
  const { user, team } = await db.$transaction(async (tx) => {
    const user = await tx.user.create({
      data: { id: newId('usr'), email, passwordHash: 'seeded: no password login', globalRole: options.globalAdmin ? 'admin' : 'user', emailVerifiedAt: now, createdAt: now, updatedAt: now },
    });
    const team = await createTeam(tx, { name: email.split('@')[0] ?? 'personal', ownerId: user.id, personal: true, now });
    await tx.apiKey.create({ data: { id: apiKeyId, userId: user.id, name: 'test', prefix: apiKey.slice(0, 8), keyHash: hashToken(apiKey), scopes: options.scopes ?? ALL_SCOPES, createdAt: now } });
    return { user, team };
  });
  const session = await createSession(hangar.services, user.id, { ip: undefined, userAgent: undefined });
  const cookie = `${SESSION_COOKIE}=${session.token}`;
  return {
    user: { id: user.id, email },
    password: '',
    apiKey,
    apiKeyId,
    cookie,
    team: { id: team.id, slug: team.slug },
    keyHeaders: { authorization: `Bearer ${apiKey}` },
    cookieHeaders: { cookie, origin: trustedOrigin(hangar) },
  };
}

/**
 * The battery's TeamFixture, seeded directly (the same shape test/accounts.ts createTeamFixture builds
 * through seven API sign-ups): the owner's personal team with an admin, a member, a viewer and a disabled
 * member; an outsider with a team of their own; a global admin; an `mcp`-only key of the owner.
 */
async function seedTeamFixture(hangar: TestHangar): Promise<TeamFixture> {
  const [owner, admin, member, viewer, outsider, disabled, globalAdmin] = await Promise.all([
    seedUser(hangar),
    seedUser(hangar),
    seedUser(hangar),
    seedUser(hangar),
    seedUser(hangar),
    seedUser(hangar),
    seedUser(hangar, { globalAdmin: true }),
  ]);
  const { db, clock } = hangar.services;
  const roles: Array<[TestUser, TeamRole]> = [[admin, 'admin'], [member, 'member'], [viewer, 'viewer'], [disabled, 'member']];
  await db.membership.createMany({ data: roles.map(([u, role]) => ({ teamId: owner.team.id, userId: u.user.id, role })) });
  await db.user.update({ where: { id: disabled.user.id }, data: { disabledAt: clock.now() } });
  const narrowKey = newSecretToken('hgr_');
  await db.apiKey.create({ data: { id: newId('key'), userId: owner.user.id, name: 'narrow', prefix: narrowKey.slice(0, 8), keyHash: hashToken(narrowKey), scopes: ['mcp'], createdAt: clock.now() } });
  return { team: owner.team, owner, admin, member, viewer, outsider, disabled, globalAdmin, narrowKey };
}

/**
 * The checks every route must pass, registered as tests in a `describe`: no credentials 401, wrong key
 * 401, unknown session 401, disabled account 401, another tenant 404 (team data), too-narrow key 403,
 * and for state changes a session cookie from a foreign Origin 403.
 */
export function runSecurityBattery(name: string, options: SecurityBatteryOptions): void {
  describe(`security battery: ${name}`, () => {
    let fx: TeamFixture;
    beforeAll(async () => {
      fx = await seedTeamFixture(options.hangar());
    });

    it('answers 401 without credentials', async () => {
      const res = await call(options.hangar(), await options.request(fx), {});
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    });

    it('answers 401 to a wrong API key and to an unknown session', async () => {
      const req = await options.request(fx);
      const wrongKey = await call(options.hangar(), req, { authorization: `Bearer hgr_${'0'.repeat(32)}` });
      expect(wrongKey.status).toBe(401);
      const garbage = await call(options.hangar(), req, { authorization: 'Bearer not-a-key' });
      expect(garbage.status).toBe(401);
      const origin = new URL(options.hangar().services.config.publicUrl).origin;
      const wrongSession = await call(options.hangar(), req, { cookie: `${SESSION_COOKIE}=hgs_${'1'.repeat(32)}`, origin });
      expect(wrongSession.status).toBe(401);
    });

    it('answers 401 to a disabled account', async () => {
      const res = await call(options.hangar(), await options.request(fx), fx.disabled.keyHeaders);
      expect(res.status).toBe(401);
    });

    if (options.teamScoped !== false) {
      it("answers 404 to another team's owner, exactly like a missing resource", async () => {
        const res = await call(options.hangar(), await options.request(fx), fx.outsider.keyHeaders);
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
      });
    }

    if (options.tooNarrowScopes) {
      it(`answers 403 to a key with only ${options.tooNarrowScopes.join(', ')}`, async () => {
        const hangar = options.hangar();
        const made = await hangar.request('/v1/me/keys', jsonInit('POST', fx.owner.keyHeaders, { name: 'narrow', scopes: options.tooNarrowScopes }));
        const { key } = (await made.json()) as { key: string };
        const res = await call(hangar, await options.request(fx), { authorization: `Bearer ${key}` });
        expect(res.status).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope');
      });
    }

    it('refuses a state change by session cookie from a foreign Origin', async (ctx) => {
      const req = await options.request(fx);
      if (['GET', 'HEAD'].includes(req.method)) return ctx.skip();
      const res = await call(options.hangar(), req, { cookie: fx.owner.cookie, origin: 'https://evil.example.net' });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('csrf_rejected');
    });
  });
}
