import { describe, expect, it } from 'vitest';
import { backoffDelay, retryWithBackoff } from './retry.ts';

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
