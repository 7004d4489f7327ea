/**
 * Two Hangar instances (each its own pool, listener and caches) on one PostgreSQL database: a credential
 * ended through one is refused by the other as soon as the notification arrives (bounded here at 1 s; in
 * practice milliseconds), and a per-key rate limit holds across both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeHangar } from '../compose.ts';
import { loadConfig } from '../config/config.ts';
import { ManualClock } from '../platform/clock.ts';
import { generateFernetKey } from '../vault/fernet.ts';
import { signUpUser } from '../../test/accounts.ts';
import { createTestDatabase } from '../../test/db.ts';
import { LogCapture, type TestHangar } from '../../test/hangar.ts';

const LIMIT = 20;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let a: TestHangar;
let b: TestHangar;
const extraPools: pg.Pool[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-two-'));

async function instance(pool: pg.Pool, clock: ManualClock, fernetKey: string): Promise<TestHangar> {
  const config = loadConfig({
    NODE_ENV: 'test', LOG_LEVEL: 'warn', HANGAR_PUBLIC_URL: 'http://localhost:8080', HANGAR_DATA_DIR: dataDir,
    FERNET_KEYS: fernetKey, HANGAR_RATE_LIMIT_PER_MINUTE: String(LIMIT),
  });
  const logs = new LogCapture();
  const hangar = await composeHangar(config, { pool, clock, logDestination: logs });
  return { ...hangar, logs, clock, request: (path, init) => Promise.resolve(hangar.app.request(path, init)), dispose: () => hangar.close() };
}

/** Polls `probe` until it is true, for at most `ms`; the final answer. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  const clock = new ManualClock(Date.now());
  const key = generateFernetKey();
  a = await instance(database.pool, clock, key);
  const poolB = new pg.Pool({ connectionString: database.url });
  extraPools.push(poolB);
  b = await instance(poolB, clock, key);
});

afterAll(async () => {
  await a?.dispose();
  await b?.dispose();
  for (const p of extraPools) await p.end();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const me = (h: TestHangar, headers: Record<string, string>) => h.request('/v1/me', { headers }).then((r) => r.status);

describe('two instances on one database', () => {
  it('a key revoked on one instance is refused by the other, whose cache held it', async () => {
    const u = await signUpUser(a);
    expect(await me(b, u.keyHeaders)).toBe(200);
    expect(await me(b, u.keyHeaders)).toBe(200); // now served from b's cache
    expect(b.services.credentialCache.active).toBe(true);
    expect((await a.request(`/v1/me/keys/${u.apiKeyId}`, { method: 'DELETE', headers: u.keyHeaders })).status).toBe(204);
    expect(await me(a, u.keyHeaders)).toBe(401); // the revoking instance: the very next request
    expect(await within(1000, async () => (await me(b, u.keyHeaders)) === 401)).toBe(true);
  });

  it('a user disabled through one instance is refused by the other, by key and by session', async () => {
    const u = await signUpUser(a);
    const cookieHeaders = { cookie: u.cookie };
    expect(await me(b, u.keyHeaders)).toBe(200);
    expect(await me(b, cookieHeaders)).toBe(200);
    await a.services.db.user.update({ where: { id: u.user.id }, data: { disabledAt: a.clock.now() } });
    expect(await me(a, u.keyHeaders)).toBe(401);
    expect(await within(1000, async () => (await me(b, u.keyHeaders)) === 401 && (await me(b, cookieHeaders)) === 401)).toBe(true);
  });

  it('a session deleted on one instance is refused by the other', async () => {
    const u = await signUpUser(a);
    const cookieHeaders = { cookie: u.cookie };
    expect(await me(b, cookieHeaders)).toBe(200);
    const session = await a.services.db.session.findFirstOrThrow({ where: { userId: u.user.id } });
    const other = await signUpUser(a);
    expect(await me(b, { cookie: other.cookie })).toBe(200);
    await a.services.db.session.delete({ where: { id: session.id } });
    expect(await within(1000, async () => (await me(b, cookieHeaders)) === 401)).toBe(true);
    expect(await me(b, { cookie: other.cookie })).toBe(200); // only the named session went
  });

  it('a member removed on one instance loses the team on the other at once', async () => {
    const owner = await signUpUser(a);
    const member = await signUpUser(a);
    await a.services.db.membership.create({ data: { teamId: owner.team.id, userId: member.user.id, role: 'member' } });
    const list = (h: TestHangar) => h.request(`/v1/teams/${owner.team.id}/deployments`, { headers: member.keyHeaders }).then((r) => r.status);
    expect(await list(b)).toBe(200);
    await a.services.db.membership.delete({ where: { teamId_userId: { teamId: owner.team.id, userId: member.user.id } } });
    expect(await list(b)).toBe(404);
  });

  it('holds a per-key limit across both instances: never more than the limit, both refuse once it is spent', async () => {
    const u = await signUpUser(a);
    const statuses = await Promise.all(Array.from({ length: 2 * LIMIT }, (_, i) => me(i % 2 ? a : b, u.keyHeaders)));
    const allowed = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // The bound (api/ratelimit/reserving-limiter.ts): never over the limit; early refusals at most the other
    // instance's unspent batch (≤ a quarter of what was left).
    expect(allowed).toBeLessThanOrEqual(LIMIT);
    expect(allowed).toBeGreaterThanOrEqual(LIMIT - LIMIT / 4);
    const after = await a.request('/v1/me', { headers: u.keyHeaders });
    expect(after.status).toBe(429);
    expect(Number(after.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await me(b, u.keyHeaders)).toBe(429);
    (a.clock as ManualClock).advance(61_000);
    expect(await me(b, u.keyHeaders)).toBe(200);
  });
});
