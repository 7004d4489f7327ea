/** How `retryWithBackoff` waits and decides; every part can be replaced by tests. */
export interface RetryOptions {
  /** Total attempts, the first included (>= 1). */
  attempts: number;
  /** Delay before the second attempt; doubles each time, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** True when the error is worth another attempt (5xx, network); anything else is thrown at once. */
  isRetryable: (error: unknown) => boolean;
  /** A number in [0, 1): full jitter picks each delay uniformly in [0, cap]. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The delay before attempt `attempt + 1` with full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor((options.random ?? Math.random)() * cap);
}

/**
 * Runs `task` until it resolves, a non-retryable error is thrown, or the attempts are used up (then the
 * last error is thrown). The task is awaited inside the `try`, so a rejected promise is retried too.
 */
export async function retryWithBackoff<T>(task: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await task(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.isRetryable(error)) throw error;
      const delayMs = backoffDelay(attempt, options);
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
