import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { createPrisma, type Db } from '../db/pool.ts';
import { ManualClock } from '../platform/clock.ts';
import { createLogger } from '../platform/logger.ts';
import { createCachedLoader, createPostgresCacheStore, type PackageCacheStore } from './package-cache.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPrisma(database.pool);
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

describe('package cache in PostgreSQL', () => {
  it('stores a body with fetched_at/expires_at and serves it until the TTL passes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const loader = createCachedLoader({ store: createPostgresCacheStore(db), clock, logger });
    let loads = 0;
    const load = async () => ({ version: `v${++loads}` });

    expect(await loader.load('npm:ttl-pkg', 60_000, load)).toEqual({ version: 'v1' });
    const row = await db.packageCache.findUniqueOrThrow({ where: { key: 'npm:ttl-pkg' } });
    expect(row.fetchedAt.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(row.expiresAt.toISOString()).toBe('2026-11-01T00:01:00.000Z');

    clock.advance(59_000);
    expect(await loader.load('npm:ttl-pkg', 60_000, load)).toEqual({ version: 'v1' });
    clock.advance(1_000);
    expect(await loader.load('npm:ttl-pkg', 60_000, load)).toEqual({ version: 'v2' });
    expect(loads).toBe(2);
  });

  it('deletes only expired rows', async () => {
    const store = createPostgresCacheStore(db);
    const at = new Date(Date.UTC(2030, 0, 1));
    await store.write('purge:old', { a: 1 }, at, new Date(at.getTime() + 1_000));
    await store.write('purge:new', { a: 2 }, at, new Date(at.getTime() + 60_000));
    expect(await store.deleteExpired(new Date(at.getTime() + 1_000))).toBeGreaterThanOrEqual(1);
    expect(await db.packageCache.findUnique({ where: { key: 'purge:old' } })).toBeNull();
    expect(await db.packageCache.findUnique({ where: { key: 'purge:new' } })).not.toBeNull();
  });

  it('is shared between loaders (instances) on the same database', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const first = createCachedLoader({ store: createPostgresCacheStore(db), clock, logger });
    const second = createCachedLoader({ store: createPostgresCacheStore(db), clock, logger });
    await first.load('npm:shared', 60_000, async () => ({ from: 'first' }));
    expect(await second.load('npm:shared', 60_000, async () => ({ from: 'second' }))).toEqual({ from: 'first' });
  });

  it('runs one load for concurrent identical keys and does not cache a failure', async () => {
    const clock = new ManualClock();
    const loader = createCachedLoader({ store: createPostgresCacheStore(db), clock, logger });
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = async () => {
      loads += 1;
      await gate;
      return { n: loads };
    };
    const all = Promise.all(Array.from({ length: 10 }, () => loader.load('npm:flight', 1_000, slow)));
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await all).toEqual(Array.from({ length: 10 }, () => ({ n: 1 })));
    expect(loads).toBe(1);

    await expect(loader.load('npm:fails', 1_000, async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await loader.load('npm:fails', 1_000, async () => ({ ok: true }))).toEqual({ ok: true });
  });

  it('falls back to the registry when the store fails', async () => {
    const broken: PackageCacheStore = {
      read: async () => Promise.reject(new Error('db down')),
      write: async () => Promise.reject(new Error('db down')),
      deleteExpired: async () => 0,
    };
    const loader = createCachedLoader({ store: broken, clock: new ManualClock(), logger });
    expect(await loader.load('npm:x', 1_000, async () => ({ fresh: true }))).toEqual({ fresh: true });
  });
});
