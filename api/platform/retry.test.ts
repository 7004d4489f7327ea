import { describe, expect, it } from 'vitest';
import { backoffCap, backoffDelay, equalJitterDelay, retryWithBackoff } from './retry.ts';

function recorder(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

describe('retryWithBackoff', () => {
  it('catches an asynchronous rejection and retries it (the task is awaited inside the try)', async () => {
    const { delays, sleep } = recorder();
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        await new Promise((resolve) => setImmediate(resolve));
        if (calls < 3) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, shouldRetry: () => true, sleep, random: () => 0.5 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('stops at once when shouldRetry says no, and rethrows that error', async () => {
    const { delays, sleep } = recorder();
    let calls = 0;
    const error = new Error('permanent');
    await expect(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw error;
        },
        { attempts: 5, baseDelayMs: 10, maxDelayMs: 100, shouldRetry: () => false, sleep },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it('gives up after `attempts` tries with the last error', async () => {
    const { delays, sleep } = recorder();
    let calls = 0;
    await expect(
      retryWithBackoff(
        async (attempt) => {
          calls += 1;
          throw new Error(`attempt ${attempt}`);
        },
        { attempts: 4, baseDelayMs: 10, maxDelayMs: 25, shouldRetry: () => true, sleep, random: () => 0.999 },
      ),
    ).rejects.toThrow('attempt 4');
    expect(calls).toBe(4);
    expect(delays).toEqual([9, 19, 24]);
  });

  it('really sleeps between tries with the default sleep', async () => {
    let calls = 0;
    const started = Date.now();
    await retryWithBackoff(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('once');
        return calls;
      },
      { attempts: 2, baseDelayMs: 30, maxDelayMs: 30, shouldRetry: () => true, random: () => 0.99 },
    );
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });
});

describe('backoffDelay', () => {
  it('doubles the cap per retry, bounded by the maximum, scaled by jitter', () => {
    expect(backoffDelay(1, 100, 1000, () => 0.999)).toBe(99);
    expect(backoffDelay(3, 100, 1000, () => 0.999)).toBe(399);
    expect(backoffDelay(10, 100, 1000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 100, 1000, () => 0)).toBe(0);
  });
});

class Transient extends Error {}
class Permanent extends Error {}

/** The package registries' settings: only Transient errors are retried. */
const registry = {
  attempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  shouldRetry: (error: unknown) => error instanceof Transient,
  random: () => 0.5,
};

describe('retryWithBackoff with a retryable-error predicate (package registries)', () => {
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
      { ...registry, sleep: async (ms) => void slept.push(ms) },
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
      }, { ...registry, sleep: async () => undefined }),
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
      }, { ...registry, sleep: async () => undefined, onRetry: ({ attempt }) => retries.push(attempt) }),
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
    }, { ...registry, baseDelayMs: 40, random: () => 0.99 });
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
  });
});

describe('backoffDelay over the attempts', () => {
  it('doubles the cap each attempt, stays under the maximum and jitters across [0, cap]', () => {
    expect(backoffDelay(1, 100, 1_000, () => 0.999)).toBe(99);
    expect(backoffDelay(2, 100, 1_000, () => 0.999)).toBe(199);
    expect(backoffDelay(3, 100, 1_000, () => 0.999)).toBe(399);
    expect(backoffDelay(10, 100, 1_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 100, 1_000, () => 0)).toBe(0);
  });
});

describe('backoffCap and equalJitterDelay (the reconciler)', () => {
  it('caps at base * 2^(n-1), bounded by the maximum, without jitter', () => {
    expect(backoffCap(1, 5_000, 300_000)).toBe(5_000);
    expect(backoffCap(3, 5_000, 300_000)).toBe(20_000);
    expect(backoffCap(20, 5_000, 300_000)).toBe(300_000);
  });

  it('waits between half the cap and the cap', () => {
    expect(equalJitterDelay(2, 500, 2_000, () => 0)).toBe(500);
    expect(equalJitterDelay(2, 500, 2_000, () => 0.5)).toBe(750);
    expect(equalJitterDelay(5, 500, 2_000, () => 0.999)).toBeCloseTo(1_999, 0);
  });
});
