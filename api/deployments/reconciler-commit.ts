import type { Deployment, Prisma } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import { DriverError } from '../machines/driver.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { equalJitterDelay } from '../platform/retry.ts';
import type { Move, ReconcilerSettings } from './decide.ts';
import { recordEvent, type EventData } from './events.ts';
import { retryableErrorText } from './failure.ts';

/**
 * How the reconciler writes what it observed and did. It alone writes observed state (state, reason,
 * failure code, counters, machine ids, last error); the API and the catalog write only intent. Every write
 * is guarded by the reconciler's lease and by the intent version (`version`) the move was decided on.
 */

/** Thrown when another holder took the deployment over (our lease expired): nothing of ours is written. */
export class LeaseLostError extends Error {}

export interface CommitDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  settings: ReconcilerSettings;
  holder: string;
}

export type MoveEvent = {
  type: 'machine_created' | 'machine_updated' | 'machine_destroyed' | 'restarted' | 'exited';
  reason: string;
  data?: EventData;
};

/** Observed fields a commit may write; the request stamps in it are acknowledgements of intent. */
export type ObservedData = Prisma.DeploymentUncheckedUpdateManyInput & { restartRequestedAt?: null; startRequestedAt?: null };

/**
 * Writes the outcome of a move and ends our lease. When the intent version moved while the move ran (a
 * PATCH, start, stop or restart landed), the observed facts (machine ids, counters, exit) are still written,
 * but not the state decided from the stale intent, and a request stamp is cleared only if it is still the one
 * acted on; the deployment is then due at once, so the next pass re-decides from the new intent.
 */
export async function commitMove(deps: CommitDeps, dep: Deployment, data: ObservedData, move: Move, nextAt: Date, extraEvents: MoveEvent[] = []): Promise<void> {
  const now = deps.clock.now();
  const newState = 'state' in move ? move.state : move.kind === 'fail' ? 'failed' : dep.state;
  const changed = newState !== dep.state;
  const failureCode = move.kind === 'fail' ? move.code : newState === 'failed' ? dep.failureCode : null;
  const release = { leaseHolder: null, leaseExpiresAt: null, nextReconcileAt: nextAt, attempts: 0, lastError: null, lastErrorAt: null };
  // A start request is consumed by the decision it was read into, whatever the move.
  const ack = dep.startRequestedAt ? { startRequestedAt: null } : {};
  const update = {
    where: { id: dep.id, leaseHolder: deps.holder, version: dep.version },
    data: { ...data, ...ack, ...release, state: newState, stateReason: move.reason, failureCode, ...(changed ? { stateChangedAt: now } : {}) },
  };
  if (!changed && extraEvents.length === 0) {
    // The common steady-state look: one statement, no interactive transaction (a pass writes thousands).
    if ((await deps.db.deployment.updateMany(update)).count === 1) return;
    return commitObservedOnly(deps, dep, data, extraEvents);
  }
  const applied = await deps.db.$transaction(async (tx) => {
    const updated = await tx.deployment.updateMany(update);
    if (updated.count !== 1) return false;
    for (const event of extraEvents) await recordEvent(tx, { deploymentId: dep.id, ...event, at: now });
    if (changed) {
      // A failure carries the exit's last stderr lines, so the reason is visible without asking for logs.
      const lastLines = extraEvents.find((e) => e.type === 'exited')?.data?.lastLines;
      const eventData = move.kind === 'fail' ? { code: move.code, ...(lastLines ? { lastLines } : {}) } : undefined;
      await recordEvent(tx, { deploymentId: dep.id, type: 'state_changed', fromState: dep.state, toState: newState, reason: move.reason, data: eventData, at: now });
    }
    return true;
  });
  if (!applied) await commitObservedOnly(deps, dep, data, extraEvents);
}

/** The intent changed under the move (or the lease is gone: LeaseLostError). See commitMove. */
async function commitObservedOnly(deps: CommitDeps, dep: Deployment, data: ObservedData, extraEvents: MoveEvent[]): Promise<void> {
  const now = deps.clock.now();
  const { restartRequestedAt, startRequestedAt: _acked, ...observed } = data;
  await deps.db.$transaction(async (tx) => {
    const release = { leaseHolder: null, leaseExpiresAt: null, nextReconcileAt: now, attempts: 0 };
    const updated = await tx.deployment.updateMany({ where: { id: dep.id, leaseHolder: deps.holder }, data: { ...observed, ...release } });
    if (updated.count !== 1) throw new LeaseLostError();
    // An acknowledgement clears exactly the request acted on; a newer request stays for the next pass.
    if (restartRequestedAt === null && dep.restartRequestedAt) {
      await tx.deployment.updateMany({ where: { id: dep.id, restartRequestedAt: dep.restartRequestedAt }, data: { restartRequestedAt: null } });
    }
    if (dep.startRequestedAt) {
      await tx.deployment.updateMany({ where: { id: dep.id, startRequestedAt: dep.startRequestedAt }, data: { startRequestedAt: null } });
    }
    for (const event of extraEvents) await recordEvent(tx, { deploymentId: dep.id, ...event, at: now });
  });
  deps.logger.info({ deploymentId: dep.id, actedOnVersion: dep.version }, 'intent changed during the move; re-deciding');
}

/**
 * A move failed with an error another try may cure: keeps the deployment's state, stores the error (safe
 * text) as `last_error` and schedules the next attempt with exponential backoff and jitter.
 */
export async function releaseAfterError(deps: CommitDeps, dep: Deployment, error: unknown): Promise<void> {
  if (error instanceof LeaseLostError) return;
  const attempts = dep.attempts + 1;
  const jittered = equalJitterDelay(attempts, deps.settings.errorBackoffBaseMs, deps.settings.errorBackoffMaxMs);
  const kind = error instanceof DriverError ? error.kind : 'internal';
  const text = retryableErrorText(error);
  const now = deps.clock.now();
  deps.logger.warn({ deploymentId: dep.id, kind, attempts, err: error }, 'reconcile move failed; backing off');
  if (attempts === 1 || attempts % 10 === 0) {
    await recordEvent(deps.db, { deploymentId: dep.id, type: 'driver_error', reason: error instanceof DriverError ? `machine platform error (${kind}); retrying` : 'internal error; retrying', data: { attempts }, at: now }).catch(() => undefined);
  }
  await deps.db.deployment
    .updateMany({
      where: { id: dep.id, leaseHolder: deps.holder },
      data: { leaseHolder: null, leaseExpiresAt: null, nextReconcileAt: new Date(now.getTime() + jittered), attempts, lastError: text, lastErrorAt: now },
    })
    .catch(() => undefined);
}
