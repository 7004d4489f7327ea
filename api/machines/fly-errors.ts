import { DriverError, type DriverErrorKind } from './driver.ts';
import type { FlyErrorStatus } from './fly-types.ts';

const FLY_STATUSES: ReadonlySet<string> = new Set(['unknown', 'insufficient_capacity', 'volume_placement_capacity', 'name_taken']);

/**
 * A failed Fly call. `flyStatus` is the `status` field of Fly's error body; the message names the
 * route and status only (Fly's own error text is never copied, so it cannot reach a log or a client).
 */
export class FlyError extends DriverError {
  override name = 'FlyError';
  readonly code: string;
  constructor(
    kind: DriverErrorKind,
    readonly route: string,
    status: number | undefined,
    readonly flyStatus: FlyErrorStatus | undefined,
    requestId: string | undefined,
    /** `timeout` or `network` when no HTTP answer arrived. */
    readonly failure: 'http' | 'timeout' | 'network' = 'http',
  ) {
    super(kind, `Fly ${route} failed: ${status ?? failure}${flyStatus ? ` (${flyStatus})` : ''}`, status, requestId);
    this.code = `fly_${kind}`;
  }
}

/** Reads Fly's `status` from an error body without trusting its shape. */
export function readFlyStatus(body: unknown): FlyErrorStatus | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const status = (body as { status?: unknown }).status;
  return typeof status === 'string' && FLY_STATUSES.has(status) ? (status as FlyErrorStatus) : undefined;
}

/**
 * Classifies an HTTP failure by status code and Fly's `status` field, never by message text:
 * capacity errors, not found, conflicts (stale version, lease held, name taken), transient (408, 429,
 * 5xx), everything else rejected.
 */
export function classifyFlyFailure(httpStatus: number, flyStatus: FlyErrorStatus | undefined): DriverErrorKind {
  if (flyStatus === 'insufficient_capacity' || flyStatus === 'volume_placement_capacity') return 'capacity';
  if (flyStatus === 'name_taken') return 'conflict';
  if (httpStatus === 404) return 'not_found';
  if (httpStatus === 409 || httpStatus === 412) return 'conflict';
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) return 'transient';
  return 'rejected';
}

/** True for failures where Fly certainly did not act (rate limited), so even a non-idempotent call may repeat. */
export function isRateLimited(error: unknown): boolean {
  return error instanceof FlyError && error.status === 429;
}

/** True for failures another try may cure: 429, 5xx, 408, timeouts and network errors. */
export function isTransient(error: unknown): boolean {
  return error instanceof DriverError && error.kind === 'transient';
}
