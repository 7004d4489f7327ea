import type { ReconcilerObserver } from '../metrics/hangar-metrics.ts';
import type { Logger } from '../platform/logger.ts';
import { runReconcilerPass, type PassResult, type ReconcilerDeps } from './reconciler.ts';

/**
 * The reconciler loop inside every API instance: a pass, then a wait of the shorter of the settings'
 * `intervalMs` and `busyIntervalMs` (cut short by `nudge()`, e.g. when the API records new intent), until
 * stopped. A pass that claimed a full batch runs again at once.
 */
export class ReconcilerLoop {
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly controller = new AbortController();
  lastPass: PassResult | undefined;

  constructor(
    /** What every pass runs with, built once by the composition root (tests read it to run extra instances). */
    readonly deps: ReconcilerDeps,
    private readonly logger: Logger,
    private readonly options: { metrics?: ReconcilerObserver } = {},
  ) {}

  /** Starts the loop (idempotent). */
  start(): void {
    this.running ??= this.loop();
  }

  /** Runs one pass now (tests, and an operator's "reconcile now"); safe beside the loop thanks to leases. */
  passOnce(): Promise<PassResult> {
    return this.observedPass();
  }

  /** Skips the current wait so new intent is acted on without delay. */
  nudge(): void {
    this.wake?.();
  }

  /** Stops after the pass in progress, if any. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.wake?.();
    await this.running;
  }

  private async observedPass(): Promise<PassResult> {
    try {
      const result = await runReconcilerPass(this.deps);
      this.options.metrics?.passCompleted(result);
      return result;
    } catch (error) {
      this.options.metrics?.passFailed();
      throw error;
    }
  }

  /**
   * Leases still held under this instance's holder name belong to an earlier life of it (a crash or SIGKILL
   * ends a process without releasing them); holder names are unique among live instances, so take them back
   * instead of waiting up to `leaseMs` for them to expire.
   */
  private async releaseOwnStaleLeases(): Promise<void> {
    try {
      const { rowCount } = await this.deps.pool.query(
        'UPDATE deployments SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1',
        [this.deps.holder],
      );
      if (rowCount) this.logger.info({ holder: this.deps.holder, leases: rowCount }, 'took back leases of an earlier run of this instance');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not release leases of an earlier run; they expire by themselves');
    }
  }

  private async loop(): Promise<void> {
    const { signal } = this.controller;
    await this.releaseOwnStaleLeases();
    while (!signal.aborted) {
      try {
        this.lastPass = await this.observedPass();
        if (this.lastPass.claimed > 0) {
          this.logger.debug({ ...this.lastPass }, 'reconciler pass');
        }
        if (this.lastPass.claimed >= this.deps.settings.batchSize) continue;
      } catch (error) {
        this.logger.warn({ err: error }, 'reconciler pass failed');
      }
      await new Promise<void>((resolve) => {
        // Each deployment's next_reconcile_at already spaces its own checks; the loop itself only idles
        // briefly, so a slow pass does not add a whole interval to every health observation.
        const timer = setTimeout(resolve, Math.min(this.deps.settings.intervalMs, this.deps.settings.busyIntervalMs));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
