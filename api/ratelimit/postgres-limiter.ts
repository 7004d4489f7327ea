import type pg from 'pg';
import { applyHit, combineDecisions, type BucketState, type RateDecision, type RateLimiter, type RateRule } from './limiter.ts';

interface BucketRow {
  key: string;
  count: number;
  window_start: Date;
  locked_until: Date | null;
  strikes: number;
}

/**
 * Rate-limit state in `rate_limit_buckets`, so every API instance shares it. Each hit locks its bucket row
 * (`FOR UPDATE`) inside a short transaction, so concurrent hits on one key are counted exactly.
 */
export function createPostgresRateLimiter(pool: pg.Pool): RateLimiter {
  /** Every bucket in one transaction and the same five statements, however many; rows locked in key order. */
  async function hitBuckets(hits: ReadonlyArray<{ key: string; rule: RateRule }>, now: Date): Promise<RateDecision> {
    const keys = hits.map((h) => h.key);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        'INSERT INTO rate_limit_buckets (key, count, window_start, strikes) SELECT k, 0, $2, 0 FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING',
        [keys, now],
      );
      const { rows } = await client.query<BucketRow>(
        'SELECT key, count, window_start, locked_until, strikes FROM rate_limit_buckets WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE',
        [keys],
      );
      const byKey = new Map(rows.map((r) => [r.key, r]));
      const decisions: RateDecision[] = [];
      const nexts: BucketState[] = [];
      for (const { key, rule } of hits) {
        const row = byKey.get(key);
        const prior: BucketState | undefined =
          row && (row.count > 0 || row.locked_until || row.strikes > 0)
            ? { count: row.count, windowStart: row.window_start, lockedUntil: row.locked_until, strikes: row.strikes }
            : undefined;
        const { next, decision } = applyHit(prior, rule, now);
        decisions.push(decision);
        nexts.push(next);
      }
      await client.query(
        `UPDATE rate_limit_buckets AS b SET count = u.count, window_start = u.window_start, locked_until = u.locked_until, strikes = u.strikes
           FROM unnest($1::text[], $2::int[], $3::timestamp(3)[], $4::timestamp(3)[], $5::int[]) AS u(key, count, window_start, locked_until, strikes)
          WHERE b.key = u.key`,
        [keys, nexts.map((n) => n.count), nexts.map((n) => n.windowStart), nexts.map((n) => n.lockedUntil), nexts.map((n) => n.strikes)],
      );
      await client.query('COMMIT');
      return combineDecisions(decisions);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
  return {
    hit: (key, rule, now) => hitBuckets([{ key, rule }], now),
    hitAll: hitBuckets,
    async peek(key, now) {
      const { rows } = await pool.query<{ locked_until: Date | null }>('SELECT locked_until FROM rate_limit_buckets WHERE key = $1', [key]);
      const locked = rows[0]?.locked_until;
      return locked && locked.getTime() > now.getTime()
        ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((locked.getTime() - now.getTime()) / 1000)) }
        : { allowed: true };
    },
    async reset(key) {
      await pool.query('DELETE FROM rate_limit_buckets WHERE key = $1', [key]);
    },
  };
}
