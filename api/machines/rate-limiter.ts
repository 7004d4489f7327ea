/**
 * Client-side token buckets, keyed by whatever the caller names (Fly limits per action per machine, or
 * per action per app), so Hangar stays inside Fly's limits instead of learning them from 429s.
 */

export interface RateRule {
  /** Sustained requests per second. */
  perSecond: number;
  /** Requests allowed at once from a full bucket. */
  burst: number;
}

/**
 * Fly's documented Machines API limits (https://fly.io/docs/machines/api/working-with-machines-api/#rate-limits): 1 req/s burst 3 per action per machine
 * (or per app for app-level calls); GET machine 5 req/s burst 10; app deletions 100 per minute.
 */
export const FLY_RATE_RULES = {
  action: { perSecond: 1, burst: 3 },
  getMachine: { perSecond: 5, burst: 10 },
  deleteApp: { perSecond: 100 / 60, burst: 10 },
} as const satisfies Record<string, RateRule>;

interface Bucket {
  tokens: number;
  updatedAt: number;
  /** Time at which the last reserved token becomes available: reservations queue in order. */
  rule: RateRule;
}

export interface TokenBucketOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Fraction of the rule's rate actually used, leaving room for clock skew and network jitter. */
  headroom?: number;
}

/** Keyed token buckets; `take` waits until the key's bucket has a token, reserving it in call order. */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly headroom: number;

  constructor(options: TokenBucketOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.headroom = options.headroom ?? 0.9;
  }

  /**
   * Reserves one token for `key` and resolves when it may be used. Reservation is synchronous, so
   * concurrent callers are spaced out rather than racing for the same token.
   */
  async take(key: string, rule: RateRule): Promise<number> {
    const waitMs = this.reserve(key, rule);
    if (waitMs > 0) await this.sleep(waitMs);
    return waitMs;
  }

  /** Reserves a token and returns how long to wait for it (0 when available now). */
  reserve(key: string, rule: RateRule): number {
    const now = this.now();
    const rate = (rule.perSecond * this.headroom) / 1000;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: rule.burst, updatedAt: now, rule };
      this.buckets.set(key, bucket);
      if (this.buckets.size % 1024 === 0) this.prune(now);
    }
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(rule.burst, bucket.tokens + elapsed * rate);
    bucket.updatedAt = now;
    bucket.tokens -= 1;
    return bucket.tokens >= 0 ? 0 : Math.ceil(-bucket.tokens / rate);
  }

  /** Number of keys tracked (buckets refilled to full are dropped now and then). */
  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const rate = (bucket.rule.perSecond * this.headroom) / 1000;
      if (bucket.tokens + (now - bucket.updatedAt) * rate >= bucket.rule.burst) this.buckets.delete(key);
    }
  }
}
