import type pg from 'pg';
import { combineDecisions, type RateDecision, type RateLimiter, type RateRule } from './limiter.ts';

/** The largest batch of hits one reservation takes from PostgreSQL. */
export const MAX_BATCH = 4096;
/** A reservation within this long of the previous one doubles the batch; after a quiet spell it is 1 again. */
const BUSY_MS = 1000;

interface Bucket {
  windowStartMs: number;
  windowMs: number;
  /** Hits reserved in PostgreSQL and not yet spent by this instance. */
  tokens: number;
  /** The bucket's shared count after this instance's last reservation (every instance's reservations). */
  known: number;
  lastBatch: number;
  lastReserveMs: number;
  reserving: Promise<void> | undefined;
}

/**
 * Request rate limits without a row lock per request: each instance reserves hits from the shared bucket in
 * `rate_limit_buckets` in batches (one atomic `INSERT .. ON CONFLICT DO UPDATE SET count = count + n`, no
 * transaction), spends them locally, and reserves again when they run out. Batches start at 1 and double
 * while a key is busy (up to `MAX_BATCH`, and never more than a quarter of what is left), so a quiet key
 * costs one statement per hit and a busy one one per thousands.
 *
 * Error bound: across all instances a bucket never admits more than its limit in a window (every admitted hit
 * was first counted in PostgreSQL). It may refuse early: hits another instance reserved and has not spent
 * yet count against everyone until the window ends; that is at most each other instance's last batch
 * (≤ `MAX_BATCH` and ≤ ¼ of what was left when it reserved). Once a bucket is known to be full, refusals
 * cost nothing until its window ends.
 * Rules with a lockout (login, reset) and `peek`/`reset` go to `exact`, the row-locking limiter.
 */
export function createReservingRateLimiter(pool: pg.Pool, exact: RateLimiter): RateLimiter {
  const buckets = new Map<string, Bucket>();

  async function reserve(key: string, bucket: Bucket, rule: RateRule, nowMs: number): Promise<void> {
    const busy = nowMs - bucket.lastReserveMs < BUSY_MS && nowMs < bucket.windowStartMs + bucket.windowMs;
    const left = Math.max(0, rule.limit - (busy ? bucket.known : 0));
    const batch = Math.max(1, Math.min(busy ? bucket.lastBatch * 2 : 1, MAX_BATCH, Math.floor(left / 4)));
    const { rows } = await pool.query<{ count: number; window_start: Date }>(
      `INSERT INTO rate_limit_buckets AS b (key, count, window_start, strikes) VALUES ($1, $2, $3, 0)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN b.window_start > $3::timestamp(3) - make_interval(secs => $4) THEN b.count + $2 ELSE $2 END,
         window_start = CASE WHEN b.window_start > $3::timestamp(3) - make_interval(secs => $4) THEN b.window_start ELSE $3 END
       RETURNING count, window_start`,
      [key, batch, new Date(nowMs), rule.windowSeconds],
    );
    const row = rows[0]!;
    const windowStartMs = row.window_start.getTime();
    if (windowStartMs !== bucket.windowStartMs) bucket.tokens = 0;
    Object.assign(bucket, {
      windowStartMs,
      windowMs: rule.windowSeconds * 1000,
      tokens: bucket.tokens + Math.min(batch, Math.max(0, rule.limit - (row.count - batch))),
      known: row.count,
      lastBatch: batch,
      lastReserveMs: nowMs,
    });
  }

  async function take(key: string, rule: RateRule, now: Date): Promise<RateDecision> {
    const nowMs = now.getTime();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= 100_000) for (const [k, b] of buckets) if (b.windowStartMs + b.windowMs <= nowMs && !b.reserving) buckets.delete(k);
      bucket = { windowStartMs: 0, windowMs: 0, tokens: 0, known: 0, lastBatch: 0, lastReserveMs: -Infinity, reserving: undefined };
      buckets.set(key, bucket);
    }
    // Each round spends, refuses, or reserves (which moves `known` towards the limit), so this ends.
    for (let round = 0; round < 32; round++) {
      const windowEndMs = bucket.windowStartMs + bucket.windowMs;
      if (windowEndMs <= nowMs) bucket.tokens = 0;
      if (bucket.tokens > 0) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      if (windowEndMs > nowMs && bucket.known >= rule.limit && !bucket.reserving) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000)) };
      }
      const b = bucket;
      b.reserving ??= reserve(key, b, rule, nowMs).finally(() => {
        b.reserving = undefined;
      });
      await b.reserving;
    }
    const windowEndMs = bucket.windowStartMs + bucket.windowMs;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000)) };
  }

  return {
    hit: (key, rule, now) => (rule.lockoutSeconds ? exact.hit(key, rule, now) : take(key, rule, now)),
    async hitAll(hits, now) {
      if (hits.some((h) => h.rule.lockoutSeconds)) return exact.hitAll(hits, now);
      return combineDecisions(await Promise.all(hits.map(({ key, rule }) => take(key, rule, now))));
    },
    peek: (key, now) => exact.peek(key, now),
    async reset(key) {
      buckets.delete(key);
      await exact.reset(key);
    },
  };
}
