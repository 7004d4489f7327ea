import { beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../api/auth/principal.ts';
import { createTeamFixture, jsonInit, type TeamFixture } from './accounts.ts';
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

/**
 * The checks every route must pass, registered as tests in a `describe`: no credentials 401, wrong key
 * 401, unknown session 401, disabled account 401, another tenant 404 (team data), too-narrow key 403,
 * and for state changes a session cookie from a foreign Origin 403.
 */
export function runSecurityBattery(name: string, options: SecurityBatteryOptions): void {
  describe(`security battery: ${name}`, () => {
    let fx: TeamFixture;
    beforeAll(async () => {
      fx = await createTeamFixture(options.hangar());
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
      const wrongSession = await call(options.hangar(), req, { cookie: `hangar_session=hgs_${'1'.repeat(32)}`, origin });
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
