import type { Logger } from '../platform/logger.ts';
import { RegistryHttpError, RegistryUnavailableError } from './registry-errors.ts';
import { retryWithBackoff, type RetryOptions } from '../platform/retry.ts';

/** Timeout and retry settings every registry call uses (tests shrink the delays). */
export interface RegistryCallOptions {
  timeoutMs: number;
  retry: Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs'> & Partial<Pick<RetryOptions, 'random' | 'sleep'>>;
}

/** Registry answers live this long in `package_cache`; "not found" answers at most NOT_FOUND_TTL_MS. */
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
export const NOT_FOUND_TTL_MS = 30_000;

/** How long one cached registry body lives: `ttlMs` (default 5 min), "not found" answers at most 30 s. */
export function cacheTtlFor(ttlMs: number = DEFAULT_CACHE_TTL_MS): (body: unknown) => number {
  return (body) => ((body as { found?: boolean }).found === false ? Math.min(ttlMs, NOT_FOUND_TTL_MS) : ttlMs);
}

export const DEFAULT_REGISTRY_CALL: RegistryCallOptions = {
  timeoutMs: 10_000,
  retry: { attempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 },
};

/** Turns an HTTP status into the reason a registry call failed, and whether another attempt may help. */
export function classifyStatus(status: number): RegistryHttpError {
  const retryable = status >= 500 || status === 429 || status === 408;
  return new RegistryHttpError(status, retryable, `HTTP ${status}`);
}

/** A network-level failure (no HTTP answer): always retryable, with a short reason and no raw message. */
export function classifyNetworkError(error: unknown, timeoutMs: number): RegistryHttpError {
  const e = error as { name?: string; code?: string; type?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.type === 'request-timeout' || e.code === 'ETIMEDOUT') {
    return new RegistryHttpError(undefined, true, `no answer within ${timeoutMs / 1000} s`);
  }
  const code = typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code) ? e.code : 'network error';
  return new RegistryHttpError(undefined, true, code === 'ECONNREFUSED' ? 'connection refused' : code);
}

/**
 * Runs one registry request with retries and jittered backoff on retryable failures. Any failure that
 * remains becomes a RegistryUnavailableError (503): an outage is never reported as "not found".
 */
export async function callRegistry<T>(
  registry: 'npm' | 'pypi',
  what: string,
  request: () => Promise<T>,
  options: RegistryCallOptions,
  logger: Logger,
): Promise<T> {
  try {
    return await retryWithBackoff(request, {
      ...options.retry,
      shouldRetry: (error) => error instanceof RegistryHttpError && error.retryable,
      onRetry: ({ attempt, delayMs, error }) =>
        logger.warn({ registry, what, attempt, delayMs, reason: (error as RegistryHttpError).reason }, 'registry call failed; retrying'),
    });
  } catch (error) {
    if (error instanceof RegistryHttpError) {
      logger.warn({ registry, what, reason: error.reason }, 'registry unavailable');
      throw new RegistryUnavailableError(registry, error.reason);
    }
    throw error;
  }
}
