import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from './rate-limiter.ts';

function manualTime(): { now: () => number; sleep: (ms: number) => Promise<void>; advance: (ms: number) => void } {
  let time = 1_000_000;
  return {
    now: () => time,
    sleep: async (ms) => void (time += ms),
    advance: (ms) => void (time += ms),
  };
}

describe('TokenBucketLimiter', () => {
  it('lets a burst through, then spaces calls at the sustained rate', () => {
    const time = manualTime();
    const limiter = new TokenBucketLimiter({ now: time.now, headroom: 1 });
    const rule = { perSecond: 1, burst: 3 };
    const waits = Array.from({ length: 6 }, () => limiter.reserve('start:app:m1', rule));
    expect(waits).toEqual([0, 0, 0, 1000, 2000, 3000]);
  });

  it('keeps keys apart: one machine does not use up another machine\'s budget', () => {
    const time = manualTime();
    const limiter = new TokenBucketLimiter({ now: time.now, headroom: 1 });
    const rule = { perSecond: 1, burst: 1 };
    expect(limiter.reserve('stop:app:m1', rule)).toBe(0);
    expect(limiter.reserve('stop:app:m2', rule)).toBe(0);
    expect(limiter.reserve('stop:app:m1', rule)).toBe(1000);
  });

  it('refills over time, never above the burst', () => {
    const time = manualTime();
    const limiter = new TokenBucketLimiter({ now: time.now, headroom: 1 });
    const rule = { perSecond: 5, burst: 10 };
    for (let i = 0; i < 10; i += 1) expect(limiter.reserve('get', rule)).toBe(0);
    expect(limiter.reserve('get', rule)).toBe(200);
    time.advance(60_000);
    const waits = Array.from({ length: 11 }, () => limiter.reserve('get', rule));
    expect(waits.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(waits[10]).toBe(200);
  });

  it('applies headroom: a 1/s rule is used at 0.9/s', () => {
    const time = manualTime();
    const limiter = new TokenBucketLimiter({ now: time.now, headroom: 0.9 });
    const rule = { perSecond: 1, burst: 1 };
    expect(limiter.reserve('k', rule)).toBe(0);
    expect(limiter.reserve('k', rule)).toBe(1112);
  });

  it('take() waits for the reserved token, so a burst of callers never exceeds the rule', async () => {
    const time = manualTime();
    const limiter = new TokenBucketLimiter({ now: time.now, sleep: time.sleep, headroom: 1 });
    const rule = { perSecond: 2, burst: 2 };
    const grants: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      await limiter.take('k', rule);
      grants.push(time.now());
    }
    // In any window of one second, at most burst + rate * 1s = 4 grants.
    for (const start of grants) {
      expect(grants.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(4);
    }
    expect(grants[grants.length - 1]! - grants[0]!).toBe(2000);
  });
});
