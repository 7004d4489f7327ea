import type pg from 'pg';
import { applyHit, type BucketState, type RateLimiter } from './limiter.ts';

interface BucketRow {
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
  return {
    async hit(key, rule, now) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          'INSERT INTO rate_limit_buckets (key, count, window_start, strikes) VALUES ($1, 0, $2, 0) ON CONFLICT (key) DO NOTHING',
          [key, now],
        );
        const { rows } = await client.query<BucketRow>(
          'SELECT count, window_start, locked_until, strikes FROM rate_limit_buckets WHERE key = $1 FOR UPDATE',
          [key],
        );
        const row = rows[0];
        const prior: BucketState | undefined =
          row && (row.count > 0 || row.locked_until || row.strikes > 0)
            ? { count: row.count, windowStart: row.window_start, lockedUntil: row.locked_until, strikes: row.strikes }
            : undefined;
        const { next, decision } = applyHit(prior, rule, now);
        await client.query(
          'UPDATE rate_limit_buckets SET count = $2, window_start = $3, locked_until = $4, strikes = $5 WHERE key = $1',
          [key, next.count, next.windowStart, next.lockedUntil, next.strikes],
        );
        await client.query('COMMIT');
        return decision;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
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
