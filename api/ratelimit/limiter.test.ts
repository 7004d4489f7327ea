import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { migrate } from '../db/migrate.ts';
import { applyHit, createMemoryRateLimiter, type RateLimiter, type RateRule } from './limiter.ts';
import { createPostgresRateLimiter } from './postgres-limiter.ts';
import { createReservingRateLimiter } from './reserving-limiter.ts';

const t0 = new Date(Date.UTC(2026, 0, 1));
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('applyHit', () => {
  it('counts within a window, refuses past the limit until the window ends, then starts over', () => {
    const rule: RateRule = { limit: 2, windowSeconds: 60 };
    let state = applyHit(undefined, rule, at(0)).next;
    state = applyHit(state, rule, at(1)).next;
    const third = applyHit(state, rule, at(10));
    expect(third.decision).toEqual({ allowed: false, retryAfterSeconds: 50 });
    expect(applyHit(third.next, rule, at(60)).decision).toEqual({ allowed: true });
  });

  it('locks out for a growing time with lockoutSeconds, capped', () => {
    const rule: RateRule = { limit: 1, windowSeconds: 60, lockoutSeconds: 100, maxLockoutSeconds: 300 };
    let state = applyHit(undefined, rule, at(0)).next;
    const strike1 = applyHit(state, rule, at(1));
    expect(strike1.decision).toEqual({ allowed: false, retryAfterSeconds: 100 });
    expect(applyHit(strike1.next, rule, at(50)).decision).toEqual({ allowed: false, retryAfterSeconds: 51 });
    state = applyHit(strike1.next, rule, at(101)).next;
    const strike2 = applyHit(state, rule, at(102));
    expect(strike2.decision).toEqual({ allowed: false, retryAfterSeconds: 200 });
    state = applyHit(strike2.next, rule, at(302)).next;
    expect(applyHit(state, rule, at(303)).decision).toEqual({ allowed: false, retryAfterSeconds: 300 });
  });
});

describe.each(['memory', 'postgres', 'reserving'] as const)('%s limiter', (kind) => {
  let limiter: RateLimiter;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (kind === 'memory') {
      limiter = createMemoryRateLimiter();
      return;
    }
    const db = await createTestDatabase();
    await migrate(db.pool);
    limiter = kind === 'reserving' ? createReservingRateLimiter(db.pool, createPostgresRateLimiter(db.pool)) : createPostgresRateLimiter(db.pool);
    drop = db.drop;
  });
  afterAll(async () => {
    await drop?.();
  });

  it('counts concurrent hits exactly, peeks at lockouts and resets', async () => {
    const rule: RateRule = { limit: 5, windowSeconds: 60, lockoutSeconds: 30 };
    const decisions = await Promise.all(Array.from({ length: 8 }, () => limiter.hit('k1', rule, at(0))));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(await limiter.peek('k1', at(1))).toEqual({ allowed: false, retryAfterSeconds: 29 });
    expect(await limiter.peek('other', at(1))).toEqual({ allowed: true });
    await limiter.reset('k1');
    expect(await limiter.hit('k1', rule, at(2))).toEqual({ allowed: true });
  });

  it('hitAll counts every bucket at once: concurrent hits on a shared bucket are exact, the longest wait wins', async () => {
    const perKey: RateRule = { limit: 10, windowSeconds: 60 };
    const perUser: RateRule = { limit: 5, windowSeconds: 60 };
    // Two keys of one user, four hits each, at the same instant: exactly 5 pass in total (the user bucket).
    const hits = (key: string) => limiter.hitAll([{ key, rule: perKey }, { key: 'usr:1', rule: perUser }], at(0));
    const decisions = await Promise.all([...Array.from({ length: 4 }, () => hits('key:a')), ...Array.from({ length: 4 }, () => hits('key:b'))]);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.filter((d) => !d.allowed)).toEqual(Array.from({ length: 3 }, () => ({ allowed: false, retryAfterSeconds: 60 })));
    // A third key of the same user starts with an empty bucket of its own but is still refused.
    expect(await hits('key:c')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(await limiter.hitAll([{ key: 'key:d', rule: perKey }, { key: 'usr:2', rule: { limit: 1, windowSeconds: 120 } }], at(0))).toEqual({ allowed: true });
    expect(await limiter.hitAll([{ key: 'key:d', rule: perKey }, { key: 'usr:2', rule: { limit: 1, windowSeconds: 120 } }], at(30))).toEqual({ allowed: false, retryAfterSeconds: 90 });
    expect(await limiter.hitAll([{ key: 'key:e', rule: perKey }, { key: 'usr:1', rule: perUser }], at(60))).toEqual({ allowed: true });
  });
});
