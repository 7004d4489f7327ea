import type pg from 'pg';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';

interface Pending {
  requests: number;
  errors: number;
  lastUsedAt: Date;
}

/**
 * Per-deployment usage of the MCP proxy (requests, errors, last use), counted in memory and written in
 * one UPDATE per deployment every `flushMs`, so the proxy's hot path never waits on the database. Raw SQL
 * leaves the row's optimistic-lock `version` alone: usage never conflicts with a PATCH.
 */
export class UsageRecorder {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { pool: pg.Pool; clock: Clock; logger: Logger },
    private readonly flushMs = 5_000,
  ) {}

  /** Counts one proxied request (an error when the upstream failed or answered 5xx). */
  record(deploymentId: string, error: boolean): void {
    const entry = this.pending.get(deploymentId) ?? { requests: 0, errors: 0, lastUsedAt: this.deps.clock.now() };
    entry.requests += 1;
    if (error) entry.errors += 1;
    entry.lastUsedAt = this.deps.clock.now();
    this.pending.set(deploymentId, entry);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes what has been counted; called by the timer and on shutdown. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    for (const [id, entry] of batch) {
      await this.deps.pool
        .query(
          `UPDATE deployments SET request_count = request_count + $2, error_count = error_count + $3,
                  last_used_at = GREATEST(COALESCE(last_used_at, $4), $4) WHERE id = $1`,
          [id, entry.requests, entry.errors, entry.lastUsedAt],
        )
        .catch((error: unknown) => this.deps.logger.warn({ deploymentId: id, err: error }, 'usage not recorded'));
    }
  }
}
