import type { Db } from '../db/pool.ts';
import type { Prisma } from '../db/generated/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';

/** Where registry answers are kept between lookups; shared by every instance when backed by PostgreSQL. */
export interface PackageCacheStore {
  /** The body stored under `key` if it has not expired at `now`, else undefined. */
  read(key: string, now: Date): Promise<unknown>;
  write(key: string, body: Prisma.InputJsonValue, fetchedAt: Date, expiresAt: Date): Promise<void>;
  /** Deletes rows expired before `now`; returns how many (for a periodic clean-up). */
  deleteExpired(now: Date): Promise<number>;
}

/** The `package_cache` table as a cache store: one row per key, replaced on refresh, expired rows ignored. */
export function createPostgresCacheStore(db: Db): PackageCacheStore {
  return {
    async read(key, now) {
      const row = await db.packageCache.findUnique({ where: { key } });
      return row && row.expiresAt > now ? row.body : undefined;
    },
    async write(key, body, fetchedAt, expiresAt) {
      await db.packageCache.upsert({
        where: { key },
        create: { key, body, fetchedAt, expiresAt },
        update: { body, fetchedAt, expiresAt },
      });
    },
    async deleteExpired(now) {
      return (await db.packageCache.deleteMany({ where: { expiresAt: { lte: now } } })).count;
    },
  };
}

/** A fixed lifetime, or one chosen per loaded body. */
export type CacheTtl = number | ((body: Prisma.InputJsonValue) => number);

/** Reads through the cache store and collapses concurrent identical loads in this process into one. */
export interface CachedLoader {
  /**
   * Returns the cached body for `key`, or runs `load` once (however many callers wait) and stores its
   * result for `ttlMs` (a function of the body, so "not found" answers can live shorter).
   */
  load(key: string, ttlMs: CacheTtl, load: () => Promise<Prisma.InputJsonValue>): Promise<unknown>;
}

/**
 * A cache-aside loader with single-flight. A failing store (database down) degrades to a direct registry
 * lookup and a warning rather than failing admission; a failing `load` is never cached.
 */
export function createCachedLoader(deps: { store: PackageCacheStore; clock: Clock; logger: Logger }): CachedLoader {
  const inFlight = new Map<string, Promise<unknown>>();

  async function readThrough(key: string, ttlMs: CacheTtl, load: () => Promise<Prisma.InputJsonValue>): Promise<unknown> {
    try {
      const hit = await deps.store.read(key, deps.clock.now());
      if (hit !== undefined) return hit;
    } catch (error) {
      deps.logger.warn({ err: error, key }, 'package cache read failed; asking the registry');
    }
    const body = await load();
    const fetchedAt = deps.clock.now();
    try {
      const lifetime = typeof ttlMs === 'number' ? ttlMs : ttlMs(body);
      await deps.store.write(key, body, fetchedAt, new Date(fetchedAt.getTime() + lifetime));
    } catch (error) {
      deps.logger.warn({ err: error, key }, 'package cache write failed');
    }
    return body;
  }

  return {
    load(key, ttlMs, load) {
      const running = inFlight.get(key);
      if (running) return running;
      const started = readThrough(key, ttlMs, load).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
  };
}
