import type pg from 'pg';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { CallOutcome } from './observe-response.ts';

/** One MCP request through the proxy, as the call log keeps it: never arguments or results. */
export interface CallRow extends CallOutcome {
  deploymentId: string;
  method: string;
  tool: string | null;
  durationMs: number;
  keyId: string | null;
  at: Date;
  /** Start order in this process (`CallLog.ticket()`): a batch is written in start order, so ids follow it. */
  order: number;
}

/** Sees every call as it is recorded (the per-tool metrics). */
export interface CallObserver {
  observeCall(row: CallRow): void;
}

export interface CallLogSettings {
  /** Rows written per INSERT, and the queue length that triggers a write at once. */
  batchSize: number;
  /** Longest a recorded row waits before it is written (ms). */
  flushMs: number;
  /** Rows waiting at most; past it new rows are dropped and counted, so a slow database never grows memory. */
  maxQueue: number;
  /** How long rows are kept (days); older ones are deleted every `pruneEveryMs`. */
  retentionDays: number;
  pruneEveryMs: number;
}

export const DEFAULT_CALL_LOG_SETTINGS: CallLogSettings = { batchSize: 500, flushMs: 1000, maxQueue: 20_000, retentionDays: 14, pruneEveryMs: 3_600_000 };

/** Rows one prune statement deletes at most (it repeats until none are left), so no statement runs long. */
const PRUNE_CHUNK = 5000;

/**
 * The call log's writer: `record` only queues (the proxy never waits on the database); a timer or a full
 * batch writes the queue in multi-row INSERTs; `close` writes what is left. A periodic prune deletes rows
 * older than the retention (any instance may prune; deleting twice is harmless).
 */
export class CallLog {
  private queue: CallRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private tickets = 0;
  /** Rows dropped because the queue was full (also in /metrics as hangar_call_log_dropped_total). */
  dropped = 0;

  constructor(
    private readonly deps: { pool: pg.Pool; clock: Clock; logger: Logger; observer?: CallObserver; onDrop?: () => void },
    readonly settings: CallLogSettings = DEFAULT_CALL_LOG_SETTINGS,
  ) {}

  /** A number for a request that starts now; rows finishing out of order are still written in start order. */
  ticket(): number {
    this.tickets += 1;
    return this.tickets;
  }

  /** Queues one row (and tells the observer); drops it, counted, when the queue is full. */
  record(row: CallRow): void {
    this.deps.observer?.observeCall(row);
    if (this.queue.length >= this.settings.maxQueue) {
      this.dropped += 1;
      this.deps.onDrop?.();
      return;
    }
    this.queue.push(row);
    if (this.queue.length >= this.settings.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.settings.flushMs).unref();
  }

  /** Rows waiting to be written. */
  get pending(): number {
    return this.queue.length;
  }

  /** Writes every queued row (batches in order); resolves when they are written or given up with a warning. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.writeQueued());
    return this.flushing;
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings.batchSize).sort((a, b) => a.order - b.order);
      await this.deps.pool
        .query(
          `INSERT INTO deployment_calls (deployment_id, method, tool, duration_ms, outcome, error_code, key_id, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::text[], $8::timestamp(3)[])`,
          [
            batch.map((r) => r.deploymentId),
            batch.map((r) => r.method),
            batch.map((r) => r.tool),
            batch.map((r) => Math.max(0, Math.round(r.durationMs))),
            batch.map((r) => r.outcome),
            batch.map((r) => r.errorCode),
            batch.map((r) => r.keyId),
            batch.map((r) => r.at.toISOString().replace('T', ' ').replace('Z', '')),
          ],
        )
        // A deployment deleted meanwhile fails the foreign key for its whole batch: those rows are gone with it.
        .catch((error: unknown) => this.deps.logger.warn({ rows: batch.length, err: error }, 'call log rows not written'));
    }
  }

  /** Deletes rows older than the retention, in bounded chunks; returns how many. */
  async prune(): Promise<number> {
    const before = new Date(this.deps.clock.now().getTime() - this.settings.retentionDays * 86_400_000);
    let total = 0;
    for (;;) {
      const result = await this.deps.pool.query(
        'DELETE FROM deployment_calls WHERE id IN (SELECT id FROM deployment_calls WHERE created_at < $1 LIMIT $2)',
        [before.toISOString().replace('T', ' ').replace('Z', ''), PRUNE_CHUNK],
      );
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < PRUNE_CHUNK) return total;
    }
  }

  /** Starts the periodic prune (one right away). */
  start(): void {
    const run = () => void this.prune().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'call log prune failed'));
    run();
    this.pruneTimer = setInterval(run, this.settings.pruneEveryMs).unref();
  }

  /** Stops the prune and writes what is queued (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.flush();
  }
}
