/**
 * Exponential backoff in one place: the delay caps (`backoffCap`), the two jitters Hangar uses, and the
 * retry loop the Fly client and the package registries share. The attempt is awaited inside the `try`,
 * so a rejected promise is caught and retried (a helper that returns the promise un-awaited never
 * retries anything).
 */

/** `base * 2^(n-1)` for the n-th backoff (n >= 1; below 1 counts as 1), never above `max`. */
export function backoffCap(n: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
}

/** "Full jitter": a whole number of ms uniformly in [0, backoffCap(n)). Spreads retries of many callers. */
export function backoffDelay(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCap(n, baseMs, maxMs));
}

/** "Equal jitter": uniformly in [cap/2, cap), so a retry never comes sooner than half the cap. */
export function equalJitterDelay(n: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = backoffCap(n, baseMs, maxMs);
  return cap / 2 + random() * (cap / 2);
}

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
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
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

/**
 * Runs `task` until it resolves, `shouldRetry` says no, the signal aborts, or `attempts` are used up;
 * rethrows the last error. `task` receives the attempt number (1-based); waits use full jitter.
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
      const delayMs = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, random);
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
