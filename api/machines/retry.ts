/**
 * Retries with jittered exponential backoff. The attempt is awaited inside the `try`, so a rejected
 * promise is caught and retried (a helper that returns the promise un-awaited never retries anything).
 */

export interface RetryOptions {
  /** Total tries, the first one included (>= 1). */
  attempts: number;
  /** Delay cap before the first retry; doubles with every further retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Decides from the error whether another try may help; false stops at once. */
  shouldRetry: (error: unknown, attempt: number) => boolean;
  /** Waits; tests pass one that records delays instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  /** Called before each wait, for logging. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/** Resolves after `ms` milliseconds (or at once when aborted). */
export function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** "Full jitter": a uniformly random delay between 0 and min(max, base * 2^(retry-1)). */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Runs `task` until it resolves, `shouldRetry` says no, or `attempts` are used up; rethrows the last
 * error. `task` receives the attempt number (1-based).
 */
export async function retryWithBackoff<T>(task: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms, options.signal));
  const random = options.random ?? Math.random;
  const attempts = Math.max(1, Math.floor(options.attempts));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= attempts || options.signal?.aborted || !options.shouldRetry(error, attempt)) throw error;
      const delay = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, random);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}
