import { describe, expect, it } from 'vitest';
import { backoffDelay, retryWithBackoff } from './retry.ts';

class Transient extends Error {}
class Permanent extends Error {}

const base = {
  attempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  isRetryable: (error: unknown) => error instanceof Transient,
  random: () => 0.5,
};

describe('retryWithBackoff', () => {
  it('retries a rejected promise (awaits inside its try) and returns the first success', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        await Promise.resolve();
        if (calls < 3) throw new Transient('503');
        return 'ok';
      },
      { ...base, sleep: async (ms) => void slept.push(ms) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(slept).toEqual([50, 100]);
  });

  it('throws a non-retryable error at once', async () => {
    let calls = 0;
    await expect(
      retryWithBackoff(async () => {
        calls += 1;
        throw new Permanent('404');
      }, { ...base, sleep: async () => undefined }),
    ).rejects.toBeInstanceOf(Permanent);
    expect(calls).toBe(1);
  });

  it('gives up after the last attempt and throws the last error', async () => {
    let calls = 0;
    const retries: number[] = [];
    await expect(
      retryWithBackoff(async () => {
        calls += 1;
        throw new Transient(`attempt ${calls}`);
      }, { ...base, sleep: async () => undefined, onRetry: ({ attempt }) => retries.push(attempt) }),
    ).rejects.toThrow('attempt 4');
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it('really waits between attempts with the default sleep', async () => {
    const times: number[] = [];
    await retryWithBackoff(async () => {
      times.push(performance.now());
      if (times.length < 2) throw new Transient('x');
      return true;
    }, { ...base, baseDelayMs: 40, random: () => 0.99 });
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
  });
});

describe('backoffDelay', () => {
  it('doubles the cap each attempt, stays under the maximum and jitters across [0, cap]', () => {
    expect(backoffDelay(1, { ...base, random: () => 0.999 })).toBe(99);
    expect(backoffDelay(2, { ...base, random: () => 0.999 })).toBe(199);
    expect(backoffDelay(3, { ...base, random: () => 0.999 })).toBe(399);
    expect(backoffDelay(10, { ...base, random: () => 0.999 })).toBe(999);
    expect(backoffDelay(3, { ...base, random: () => 0 })).toBe(0);
  });
});
