import type { MachineStatus } from '../machines/driver.ts';
import { backoffCap } from '../platform/retry.ts';
import type { FailureCode } from './failure.ts';
import type { DeploymentState, DesiredState } from './states.ts';

/** The reconciler's knobs; defaults in `DEFAULT_RECONCILER_SETTINGS`, overridden from config. */
export interface ReconcilerSettings {
  /** How often a steady deployment is looked at. */
  intervalMs: number;
  /** How soon a deployment in a transient state is looked at again. */
  busyIntervalMs: number;
  leaseMs: number;
  batchSize: number;
  /** Teams (Fly apps) worked on at once in one pass. */
  teamConcurrency: number;
  /** K: consecutive critical observations (after the grace period) that trigger a restart. */
  healthFailureThreshold: number;
  /** How long a starting machine's failing checks are not held against it. */
  startGraceMs: number;
  restartBackoffBaseMs: number;
  restartBackoffMaxMs: number;
  /** N: more restarts than this inside the window marks the deployment failed (crash loop). */
  crashLoopMaxRestarts: number;
  crashLoopWindowMs: number;
  /** Backoff after a failed driver call (Fly outage, 429s). */
  errorBackoffBaseMs: number;
  errorBackoffMaxMs: number;
}

export const DEFAULT_RECONCILER_SETTINGS: ReconcilerSettings = {
  intervalMs: 5_000,
  busyIntervalMs: 1_000,
  leaseMs: 60_000,
  batchSize: 200,
  teamConcurrency: 16,
  healthFailureThreshold: 3,
  startGraceMs: 60_000,
  restartBackoffBaseMs: 5_000,
  restartBackoffMaxMs: 300_000,
  crashLoopMaxRestarts: 5,
  crashLoopWindowMs: 600_000,
  errorBackoffBaseMs: 2_000,
  errorBackoffMaxMs: 300_000,
};

/** The parts of a deployment row a decision reads. */
export interface DecisionInput {
  id: string;
  desiredState: DesiredState;
  state: DeploymentState;
  generation: number;
  stateChangedAt: Date;
  restartRequestedAt: Date | null;
  /** Required template fields still without a value: a deployment waits in `awaiting_config` while any are. */
  missingFields: readonly string[];
  healthFailures: number;
  restartCount: number;
  restartWindowAt: Date | null;
  lastRestartAt: Date | null;
}

/** Counters a move leaves behind, written with the move. */
export interface HealthCounters {
  healthFailures: number;
  restartCount: number;
  restartWindowAt: Date | null;
  lastRestartAt: Date | null;
}

/** One step toward the desired state. At most one driver call per move. */
export type Move =
  | { kind: 'create'; state: DeploymentState; reason: string }
  | { kind: 'update'; machineId: string; version: string; state: DeploymentState; reason: string }
  | { kind: 'start'; machineId: string; state: DeploymentState; reason: string; counters: HealthCounters }
  | { kind: 'stop'; machineId: string; state: DeploymentState; reason: string }
  | { kind: 'restart'; machineId: string; state: DeploymentState; reason: string; counters: HealthCounters }
  | { kind: 'destroy'; machineId: string; state: DeploymentState; reason: string }
  | { kind: 'finish_delete'; reason: string }
  | { kind: 'fail'; machineId: string | undefined; code: FailureCode; reason: string; counters: HealthCounters }
  | { kind: 'observe'; state: DeploymentState; reason: string; counters: HealthCounters; nextAt?: Date };

function counters(dep: DecisionInput): HealthCounters {
  return {
    healthFailures: dep.healthFailures,
    restartCount: dep.restartCount,
    restartWindowAt: dep.restartWindowAt,
    lastRestartAt: dep.lastRestartAt,
  };
}

const FRESH: HealthCounters = { healthFailures: 0, restartCount: 0, restartWindowAt: null, lastRestartAt: null };

/**
 * Crash-loop accounting for a restart Hangar is about to make on its own initiative: returns the move to
 * make now (restart or start), a wait (observe until the backoff ends), or `fail` when the deployment has
 * restarted more than N times inside the window.
 */
function countedRestart(
  dep: DecisionInput,
  machineId: string,
  kind: 'restart' | 'start',
  reason: string,
  now: Date,
  s: ReconcilerSettings,
): Move {
  const windowExpired = !dep.restartWindowAt || now.getTime() - dep.restartWindowAt.getTime() > s.crashLoopWindowMs;
  const windowAt = windowExpired ? now : dep.restartWindowAt;
  const count = windowExpired ? 0 : dep.restartCount;
  if (count >= s.crashLoopMaxRestarts) {
    return {
      kind: 'fail',
      machineId,
      code: 'crash_loop',
      reason: `crash loop: ${count} restarts within ${Math.round(s.crashLoopWindowMs / 1000)}s (last: ${reason})`,
      counters: { ...counters(dep), healthFailures: 0 },
    };
  }
  if (count > 0 && dep.lastRestartAt) {
    const wait = backoffCap(count, s.restartBackoffBaseMs, s.restartBackoffMaxMs);
    const until = new Date(dep.lastRestartAt.getTime() + wait);
    if (now < until) {
      return {
        kind: 'observe',
        state: dep.state === 'running' ? 'unhealthy' : dep.state,
        reason: `${reason}; restarting after backoff (${Math.ceil((until.getTime() - now.getTime()) / 1000)}s)`,
        counters: counters(dep),
        nextAt: until,
      };
    }
  }
  const next: HealthCounters = { healthFailures: 0, restartCount: count + 1, restartWindowAt: windowAt, lastRestartAt: now };
  return { kind, machineId, state: 'restarting', reason, counters: next };
}

const TRANSIENT = new Set(['creating', 'starting', 'restarting', 'updating', 'replacing', 'stopping', 'suspending', 'destroying']);

/**
 * Decides the next move for one deployment from its row and its machine as the driver sees it (undefined:
 * no machine). Pure: the same inputs always give the same move, which is what makes the reconciler testable
 * and safe to re-run after a crash.
 */
export function decideMove(dep: DecisionInput, machine: MachineStatus | undefined, now: Date, s: ReconcilerSettings): Move {
  if (dep.desiredState === 'deleted') {
    if (!machine) return { kind: 'finish_delete', reason: 'machine destroyed' };
    if (machine.state === 'destroying') return { kind: 'observe', state: 'deleting', reason: 'machine is being destroyed', counters: counters(dep) };
    return { kind: 'destroy', machineId: machine.id, state: 'deleting', reason: 'deployment deleted' };
  }

  if (dep.desiredState === 'stopped') {
    if (!machine || ['stopped', 'created', 'failed', 'suspended'].includes(machine.state)) {
      return { kind: 'observe', state: 'stopped', reason: 'stopped on request', counters: FRESH };
    }
    if (machine.state === 'stopping') return { kind: 'observe', state: 'stopping', reason: 'machine is stopping', counters: counters(dep) };
    return { kind: 'stop', machineId: machine.id, state: 'stopping', reason: 'stop requested' };
  }

  // desired: running
  if (dep.state === 'awaiting_config' && dep.missingFields.length > 0) {
    return { kind: 'observe', state: 'awaiting_config', reason: `waiting for ${dep.missingFields.join(', ')}`, counters: counters(dep) };
  }
  // A machine in a transient state cannot be restarted (Fly answers 412): wait for it to settle first.
  if (dep.restartRequestedAt && machine && !TRANSIENT.has(machine.state)) {
    return { kind: 'restart', machineId: machine.id, state: 'restarting', reason: 'restart requested', counters: FRESH };
  }
  // A failed deployment with no machine left that is asked to restart gets a new machine.
  if (dep.state === 'failed' && !dep.restartRequestedAt) {
    if (machine && !['stopped', 'failed', 'created'].includes(machine.state) && !TRANSIENT.has(machine.state)) {
      return { kind: 'stop', machineId: machine.id, state: 'failed', reason: 'stopping the machine of a failed deployment' };
    }
    return { kind: 'observe', state: 'failed', reason: 'failed; start or restart it to try again', counters: counters(dep) };
  }
  if (!machine) {
    return { kind: 'create', state: 'provisioning', reason: dep.state === 'pending' || dep.state === 'awaiting_config' ? 'creating machine' : 'machine missing; recreating it' };
  }
  if (machine.generation !== undefined && machine.generation < dep.generation && !TRANSIENT.has(machine.state)) {
    return { kind: 'update', machineId: machine.id, version: machine.version, state: 'restarting', reason: `rolling to generation ${dep.generation}` };
  }
  if (TRANSIENT.has(machine.state)) {
    const state = machine.state === 'stopping' ? 'stopping' : dep.state === 'restarting' ? 'restarting' : 'starting';
    return { kind: 'observe', state, reason: `machine ${machine.state}`, counters: counters(dep) };
  }
  if (machine.state !== 'started') {
    // created, stopped, suspended, failed, launch_failed. A machine we stopped on purpose (the user started
    // the deployment again) starts without counting; one that stopped by itself is a crash.
    const intended = dep.state === 'stopped' || dep.state === 'pending' || dep.state === 'provisioning';
    if (intended) return { kind: 'start', machineId: machine.id, state: 'starting', reason: 'starting machine', counters: FRESH };
    const exit = machine.lastExit?.exitCode !== undefined ? ` (exit code ${machine.lastExit.exitCode}${machine.lastExit.oomKilled ? ', out of memory' : ''})` : '';
    return countedRestart(dep, machine.id, 'start', `machine ${machine.state}${exit}`, now, s);
  }

  const critical = machine.checks.filter((c) => c.status === 'critical');
  const passing = machine.checks.length > 0 && machine.checks.every((c) => c.status === 'passing');
  const settling = ['pending', 'provisioning', 'starting', 'restarting'].includes(dep.state);
  const inGrace = settling && now.getTime() - dep.stateChangedAt.getTime() < s.startGraceMs;

  if (passing) return { kind: 'observe', state: 'running', reason: 'health checks passing', counters: { ...counters(dep), healthFailures: 0 } };
  if (critical.length > 0 && !inGrace) {
    const failures = dep.healthFailures + 1;
    const names = critical.map((c) => c.name).join(', ');
    if (failures >= s.healthFailureThreshold) {
      return countedRestart({ ...dep, healthFailures: failures }, machine.id, 'restart', `health check critical ${failures} times (${names})`, now, s);
    }
    return { kind: 'observe', state: 'unhealthy', reason: `health check critical (${names})`, counters: { ...counters(dep), healthFailures: failures } };
  }
  if (settling) return { kind: 'observe', state: 'starting', reason: inGrace ? 'waiting for health checks' : 'no health result yet', counters: counters(dep) };
  return { kind: 'observe', state: dep.state, reason: 'no change', counters: counters(dep) };
}
