/**
 * Rate limiting behind one interface, so the state can live in PostgreSQL (shared by every API instance)
 * or in memory (one process). A rule is a fixed window; rules with `lockoutSeconds` also lock the key for
 * a growing time (doubling per strike, capped) once the window's limit is exceeded.
 */
export interface RateRule {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
  /** First lockout after the limit is exceeded; each further strike doubles it up to `maxLockoutSeconds`. */
  lockoutSeconds?: number;
  maxLockoutSeconds?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one hit on `key` and says whether it is within `rule`. */
  hit(key: string, rule: RateRule, now: Date): Promise<RateDecision>;
  /**
   * Counts one hit on each bucket at once (one transaction in PostgreSQL, so a second bucket costs no extra
   * round trip): allowed only when every bucket allows, otherwise the longest `retryAfterSeconds`.
   */
  hitAll(hits: ReadonlyArray<{ key: string; rule: RateRule }>, now: Date): Promise<RateDecision>;
  /** Says whether `key` is locked out now, without counting a hit. */
  peek(key: string, now: Date): Promise<RateDecision>;
  /** Forgets `key` (a successful login clears its account's failures). */
  reset(key: string): Promise<void>;
}

export interface BucketState {
  count: number;
  windowStart: Date;
  lockedUntil: Date | null;
  strikes: number;
}

/**
 * The one rule both stores apply: the next state of a bucket after a hit at `now`, and the decision.
 * Kept pure so the PostgreSQL and memory stores cannot drift apart.
 */
export function applyHit(prior: BucketState | undefined, rule: RateRule, now: Date): { next: BucketState; decision: RateDecision } {
  const t = now.getTime();
  if (prior?.lockedUntil && prior.lockedUntil.getTime() > t) {
    return { next: prior, decision: { allowed: false, retryAfterSeconds: secondsUntil(prior.lockedUntil, now) } };
  }
  const windowMs = rule.windowSeconds * 1000;
  const fresh = !prior || prior.windowStart.getTime() + windowMs <= t;
  const next: BucketState = fresh
    ? { count: 1, windowStart: now, lockedUntil: null, strikes: prior?.strikes ?? 0 }
    : { ...prior, count: prior.count + 1, lockedUntil: null };
  if (next.count <= rule.limit) return { next, decision: { allowed: true } };
  if (rule.lockoutSeconds) {
    const strikes = next.strikes + 1;
    const lockMs = Math.min(rule.lockoutSeconds * 2 ** (strikes - 1), rule.maxLockoutSeconds ?? 86_400) * 1000;
    const lockedUntil = new Date(t + lockMs);
    return { next: { count: 0, windowStart: now, lockedUntil, strikes }, decision: { allowed: false, retryAfterSeconds: lockMs / 1000 } };
  }
  const windowEnd = new Date(next.windowStart.getTime() + windowMs);
  return { next, decision: { allowed: false, retryAfterSeconds: secondsUntil(windowEnd, now) } };
}

/** One decision from several buckets': denied when any is, with the longest wait. */
export function combineDecisions(decisions: readonly RateDecision[]): RateDecision {
  let wait = 0;
  for (const d of decisions) if (!d.allowed) wait = Math.max(wait, d.retryAfterSeconds);
  return wait > 0 ? { allowed: false, retryAfterSeconds: wait } : { allowed: true };
}

function secondsUntil(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

/** One process's limiter: for a single instance or tests. */
export function createMemoryRateLimiter(): RateLimiter {
  const buckets = new Map<string, BucketState>();
  return {
    async hit(key, rule, now) {
      const { next, decision } = applyHit(buckets.get(key), rule, now);
      buckets.set(key, next);
      return decision;
    },
    async hitAll(hits, now) {
      const decisions = hits.map(({ key, rule }) => {
        const { next, decision } = applyHit(buckets.get(key), rule, now);
        buckets.set(key, next);
        return decision;
      });
      return combineDecisions(decisions);
    },
    async peek(key, now) {
      const locked = buckets.get(key)?.lockedUntil;
      return locked && locked.getTime() > now.getTime()
        ? { allowed: false, retryAfterSeconds: secondsUntil(locked, now) }
        : { allowed: true };
    },
    async reset(key) {
      buckets.delete(key);
    },
  };
}
