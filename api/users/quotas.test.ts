import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-keys.ts';
import type { ManualClock } from '../platform/clock.ts';
import { jsonInit, signUpUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';

/**
 * Issue 13 item 3: per-user limits across teams (deployments, teams, API keys) and a per-user request
 * bucket beside the per-key one, so more teams or more keys buy no more.
 */
let world: DeploymentWorld;
let limited: TestHangar;
beforeAll(async () => {
  [world, limited] = await Promise.all([
    createDeploymentWorld({ env: { HANGAR_USER_DEPLOYMENT_QUOTA: '2', HANGAR_DEPLOYMENT_QUOTA: '5', HANGAR_USER_TEAM_QUOTA: '2', HANGAR_USER_API_KEY_QUOTA: '3' } }),
    createTestHangar({ env: { HANGAR_RATE_LIMIT_PER_MINUTE: '5', HANGAR_USER_RATE_LIMIT_PER_MINUTE: '6' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([world.close(), limited.dispose()]);
});
const call = async (h: TestHangar, path: string, method: string, headers: Record<string, string>, body?: unknown) => {
  const res = await h.request(path, jsonInit(method, headers, body));
  return { status: res.status, headers: res.headers, json: (await res.json().catch(() => null)) as any };
};

describe('per-user quotas across teams', () => {
  it('deployments: a user at quota in one team cannot deploy more by creating another team (422 user_quota_exceeded)', async () => {
    const u = await signUpUser(world.hangar);
    for (const name of ['one', 'two']) {
      expect((await call(world.hangar, `/v1/teams/${u.team.id}/deployments`, 'POST', u.keyHeaders, { name, package: `npm:${TEST_PACKAGE}@1.1.0` })).status).toBe(202);
    }
    const other = await call(world.hangar, '/v1/teams', 'POST', u.keyHeaders, { name: 'Second' });
    expect(other.status).toBe(201);
    const third = await call(world.hangar, `/v1/teams/${other.json.id}/deployments`, 'POST', u.keyHeaders, { name: 'three', package: `npm:${TEST_PACKAGE}@1.1.0` });
    expect(third.status).toBe(422);
    expect(third.json.error.code).toBe('user_quota_exceeded');
    expect(await world.hangar.services.db.deployment.count({ where: { createdById: u.user.id } })).toBe(2);
    // Another user in the same team is not held to this user's count.
    const mate = await signUpUser(world.hangar);
    await world.hangar.services.db.membership.create({ data: { teamId: other.json.id, userId: mate.user.id, role: 'member' } });
    expect((await call(world.hangar, `/v1/teams/${other.json.id}/deployments`, 'POST', mate.keyHeaders, { name: 'mates', package: `npm:${TEST_PACKAGE}@1.1.0` })).status).toBe(202);
  });

  it('teams: creating more than the quota is 422; the personal team does not count', async () => {
    const u = await signUpUser(world.hangar);
    expect((await call(world.hangar, '/v1/teams', 'POST', u.keyHeaders, { name: 'A' })).status).toBe(201);
    expect((await call(world.hangar, '/v1/teams', 'POST', u.keyHeaders, { name: 'B' })).status).toBe(201);
    const third = await call(world.hangar, '/v1/teams', 'POST', u.keyHeaders, { name: 'C' });
    expect(third.status).toBe(422);
    expect(third.json.error.code).toBe('user_quota_exceeded');
    expect(await world.hangar.services.db.membership.count({ where: { userId: u.user.id } })).toBe(3);
  });

  it('API keys: live keys are capped; revoking one frees a slot; rotation at the cap still works', async () => {
    const u = await signUpUser(world.hangar);
    const mint = () => call(world.hangar, '/v1/me/keys', 'POST', u.cookieHeaders, { name: 'k', scopes: ['read'] });
    const second = await mint();
    expect(second.status).toBe(201);
    expect((await mint()).status).toBe(201);
    const over = await mint();
    expect(over.status).toBe(422);
    expect(over.json.error.code).toBe('user_quota_exceeded');
    expect(await world.hangar.services.db.apiKey.count({ where: { userId: u.user.id } })).toBe(3);
    const rotated = await call(world.hangar, `/v1/me/keys/${second.json.id}/rotate`, 'POST', u.cookieHeaders, { graceSeconds: 60 });
    expect(rotated.status).toBe(201);
    // Four live now (the rotated one in its grace period): revoking it leaves three, still at the cap.
    expect((await call(world.hangar, `/v1/me/keys/${second.json.id}`, 'DELETE', u.cookieHeaders)).status).toBe(204);
    expect((await mint()).status).toBe(422);
    expect((await call(world.hangar, `/v1/me/keys/${rotated.json.id}`, 'DELETE', u.cookieHeaders)).status).toBe(204);
    expect((await mint()).status).toBe(201);
  });
});

describe('the per-user request bucket', () => {
  it('a throttled user minting a new key (or using a session) stays throttled until the window ends', async () => {
    const u = await signUpUser(limited);
    // signUpUser's own calls already counted; start a fresh window.
    (limited.clock as ManualClock).advance(61_000);
    for (let i = 0; i < 5; i += 1) expect((await call(limited, '/v1/me', 'GET', u.keyHeaders)).status).toBe(200);
    const keyThrottled = await call(limited, '/v1/me', 'GET', u.keyHeaders);
    expect(keyThrottled.status).toBe(429);
    // The session has a bucket of its own, but the user's bucket (6) is spent.
    const viaSession = await call(limited, '/v1/me/keys', 'POST', u.cookieHeaders, { name: 'fresh', scopes: ['read'] });
    expect(viaSession.status).toBe(429);
    expect(viaSession.json.error.code).toBe('rate_limited');
    // A key minted anyway (another instance, a race): brand-new bucket, same user, still 429 with Retry-After.
    const principal = { userId: u.user.id, email: u.user.email, globalRole: 'user' as const, emailVerified: true, via: 'session' as const, sessionId: undefined, keyId: undefined, scopes: new Set(['read', 'write', 'mcp', 'admin'] as const), teamId: undefined };
    const fresh = await createApiKey(limited.services, principal, { name: 'fresh', scopes: ['read'] });
    const withFresh = await call(limited, '/v1/me', 'GET', { authorization: `Bearer ${fresh.key}` });
    expect(withFresh.status).toBe(429);
    expect(Number(withFresh.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user is not affected.
    expect((await call(limited, '/v1/me', 'GET', (await signUpUser(limited)).keyHeaders)).status).toBe(200);
    (limited.clock as ManualClock).advance(61_000);
    expect((await call(limited, '/v1/me', 'GET', { authorization: `Bearer ${fresh.key}` })).status).toBe(200);
  });
});
