import { describe, expect, it } from 'vitest';
import type { MachineStatus } from '../machines/driver.ts';
import { decideMove, DEFAULT_RECONCILER_SETTINGS as S, type DecisionInput } from './decide.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);

function dep(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    id: 'dep_1',
    desiredState: 'running',
    state: 'running',
    generation: 1,
    stateChangedAt: ago(10 * 60_000),
    restartRequestedAt: null,
    missingFields: [],
    healthFailures: 0,
    restartCount: 0,
    restartWindowAt: null,
    lastRestartAt: null,
    ...overrides,
  };
}

function machine(overrides: Partial<MachineStatus> = {}): MachineStatus {
  return {
    id: 'm1',
    name: 'hangar-dep-1',
    state: 'started',
    version: 'v1',
    endpoint: 'http://[fdaa::1]:8080',
    checks: [{ name: 'runner', status: 'passing', updatedAt: undefined }],
    lastExit: undefined,
    deploymentId: 'dep_1',
    generation: 1,
    ...overrides,
  };
}

const critical = [{ name: 'runner', status: 'critical' as const, updatedAt: undefined }];

describe('a deployment waiting for template values', () => {
  it('waits while a field is missing, and is launched by the reconciler once nothing is', () => {
    expect(decideMove(dep({ state: 'awaiting_config', missingFields: ['TOKEN'] }), undefined, NOW, S)).toMatchObject({ kind: 'observe', state: 'awaiting_config', reason: 'waiting for TOKEN' });
    expect(decideMove(dep({ state: 'awaiting_config' }), undefined, NOW, S)).toMatchObject({ kind: 'create', state: 'provisioning', reason: 'creating machine' });
    expect(decideMove(dep({ state: 'awaiting_config', missingFields: ['TOKEN'], desiredState: 'deleted' }), undefined, NOW, S)).toMatchObject({ kind: 'finish_delete' });
  });
});

describe('decideMove', () => {
  it('creates a machine for a new deployment, and recreates one deleted behind our back', () => {
    expect(decideMove(dep({ state: 'pending' }), undefined, NOW, S)).toMatchObject({ kind: 'create', state: 'provisioning', reason: 'creating machine' });
    expect(decideMove(dep(), undefined, NOW, S)).toMatchObject({ kind: 'create', reason: 'machine missing; recreating it' });
  });

  it('observes a healthy machine as running and clears health failures', () => {
    expect(decideMove(dep({ state: 'starting', healthFailures: 2 }), machine(), NOW, S)).toMatchObject({
      kind: 'observe',
      state: 'running',
      counters: { healthFailures: 0 },
    });
  });

  it('does not hold failing checks against a machine inside its grace period', () => {
    const move = decideMove(dep({ state: 'starting', stateChangedAt: ago(5_000) }), machine({ checks: critical }), NOW, S);
    expect(move).toMatchObject({ kind: 'observe', state: 'starting', reason: 'waiting for health checks' });
  });

  it('counts consecutive critical observations and restarts at K', () => {
    const first = decideMove(dep(), machine({ checks: critical }), NOW, S);
    expect(first).toMatchObject({ kind: 'observe', state: 'unhealthy', counters: { healthFailures: 1 } });
    const atK = decideMove(dep({ state: 'unhealthy', healthFailures: S.healthFailureThreshold - 1 }), machine({ checks: critical }), NOW, S);
    expect(atK).toMatchObject({
      kind: 'restart',
      machineId: 'm1',
      state: 'restarting',
      reason: `health check critical ${S.healthFailureThreshold} times (runner)`,
      counters: { healthFailures: 0, restartCount: 1, restartWindowAt: NOW, lastRestartAt: NOW },
    });
  });

  it('backs off exponentially between restarts inside the crash-loop window', () => {
    const recent = dep({ state: 'unhealthy', healthFailures: 2, restartCount: 2, restartWindowAt: ago(60_000), lastRestartAt: ago(5_000) });
    const waiting = decideMove(recent, machine({ checks: critical }), NOW, S);
    expect(waiting).toMatchObject({ kind: 'observe', nextAt: new Date(NOW.getTime() - 5_000 + S.restartBackoffBaseMs * 2) });
    const later = dep({ ...recent, lastRestartAt: ago(S.restartBackoffBaseMs * 2 + 1) });
    expect(decideMove(later, machine({ checks: critical }), NOW, S)).toMatchObject({ kind: 'restart', counters: { restartCount: 3 } });
  });

  it('marks a crash loop failed after N restarts in the window, and forgets old restarts', () => {
    const looping = dep({ state: 'restarting', restartCount: S.crashLoopMaxRestarts, restartWindowAt: ago(60_000), lastRestartAt: ago(600_000) });
    const crashed = machine({ state: 'stopped', lastExit: { exitCode: 137, oomKilled: true, at: NOW.toISOString() } });
    expect(decideMove(looping, crashed, NOW, S)).toMatchObject({
      kind: 'fail',
      reason: `crash loop: ${S.crashLoopMaxRestarts} restarts within ${S.crashLoopWindowMs / 1000}s (last: machine stopped (exit code 137, out of memory))`,
    });
    const old = dep({ ...looping, restartWindowAt: ago(S.crashLoopWindowMs + 1) });
    expect(decideMove(old, crashed, NOW, S)).toMatchObject({ kind: 'start', counters: { restartCount: 1 } });
  });

  it('starts a machine it stopped on purpose without counting a crash', () => {
    expect(decideMove(dep({ state: 'stopped', restartCount: 4 }), machine({ state: 'stopped' }), NOW, S)).toMatchObject({
      kind: 'start',
      counters: { restartCount: 0 },
    });
  });

  it('stops, and settles as stopped', () => {
    expect(decideMove(dep({ desiredState: 'stopped' }), machine(), NOW, S)).toMatchObject({ kind: 'stop', state: 'stopping' });
    expect(decideMove(dep({ desiredState: 'stopped', state: 'stopping' }), machine({ state: 'stopping' }), NOW, S)).toMatchObject({ kind: 'observe', state: 'stopping' });
    expect(decideMove(dep({ desiredState: 'stopped', state: 'stopping' }), machine({ state: 'stopped' }), NOW, S)).toMatchObject({ kind: 'observe', state: 'stopped' });
  });

  it('destroys, then finishes the delete once the machine is gone', () => {
    expect(decideMove(dep({ desiredState: 'deleted' }), machine(), NOW, S)).toMatchObject({ kind: 'destroy', machineId: 'm1', state: 'deleting' });
    expect(decideMove(dep({ desiredState: 'deleted', state: 'deleting' }), undefined, NOW, S)).toMatchObject({ kind: 'finish_delete' });
  });

  it('rolls a machine built from an older generation', () => {
    expect(decideMove(dep({ generation: 2 }), machine({ generation: 1 }), NOW, S)).toMatchObject({ kind: 'update', machineId: 'm1', version: 'v1' });
  });

  it('restarts on request, resetting crash-loop counters, even when failed', () => {
    const failed = dep({ state: 'failed', restartCount: 5, restartRequestedAt: ago(1000) });
    expect(decideMove(failed, machine({ state: 'stopped' }), NOW, S)).toMatchObject({ kind: 'restart', counters: { restartCount: 0 } });
  });

  it('waits for a machine in a transient state before a requested restart', () => {
    const move = decideMove(dep({ restartRequestedAt: ago(1000), state: 'starting' }), machine({ state: 'starting', checks: [] }), NOW, S);
    expect(move).toMatchObject({ kind: 'observe', state: 'starting' });
  });

  it('leaves a failed deployment alone, stopping its machine if it still runs', () => {
    expect(decideMove(dep({ state: 'failed' }), machine(), NOW, S)).toMatchObject({ kind: 'stop', state: 'failed' });
    expect(decideMove(dep({ state: 'failed' }), machine({ state: 'stopped' }), NOW, S)).toMatchObject({ kind: 'observe', state: 'failed' });
  });

  it('waits while the machine is in a transient state', () => {
    expect(decideMove(dep({ state: 'provisioning' }), machine({ state: 'starting', checks: [] }), NOW, S)).toMatchObject({ kind: 'observe', state: 'starting' });
  });
});
