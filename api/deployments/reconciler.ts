import type pg from 'pg';
import type { Deployment, Prisma, Team } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import { deploymentSecretName } from '../machines/machine-config.ts';
import { DriverError, type MachineDriver, type MachineStatus, type TenantHome } from '../machines/driver.ts';
import type { Clock } from '../platform/clock.ts';
import { forEachLimit } from '../platform/concurrency.ts';
import type { Logger } from '../platform/logger.ts';
import { decideMove, type Move, type ReconcilerSettings } from './decide.ts';
import { recordEvent } from './events.ts';
import { launchPlanFor, RUNNER_TOKEN_ENV, StoredLaunchSpecSchema } from './launch.ts';
import type { LaunchChecker } from './launch-check.ts';
import { LaunchSpecError } from '../launch-spec/validate-launch-spec.ts';
import { launchCommand } from '../packages/admission.ts';
import { claimDueDeployments, releaseDeployment } from './lease.ts';

/** Plaintext launch secrets of one deployment (its secret env vars and the runner token). Only the reconciler calls it, only at launch. */
export interface LaunchSecretsSource {
  resolve(deployment: Deployment): Promise<Record<string, string>>;
}


export interface ReconcilerDeps {
  db: Db;
  pool: pg.Pool;
  clock: Clock;
  logger: Logger;
  driver: MachineDriver;
  secrets: LaunchSecretsSource;
  /** The launch-spec gate again, right before a machine is made from stored data (second layer). */
  launch: LaunchChecker;
  settings: ReconcilerSettings;
  /** This instance's lease holder name. */
  holder: string;
}

export interface PassResult {
  claimed: number;
  moves: Record<string, number>;
  errors: number;
  durationMs: number;
}

class LeaseLostError extends Error {}

type WithTeam = Deployment & { team: Team };

function machineFor(dep: Deployment, machines: MachineStatus[]): MachineStatus | undefined {
  const mine = machines.filter((m) => m.deploymentId === dep.id && m.state !== 'destroyed');
  return mine.find((m) => m.id === dep.machineId) ?? mine[0];
}

/**
 * Runs one reconciler pass: claims due deployments, lists each team's machines once, and makes one move per
 * deployment. Safe to run in any number of instances at once (leases) and to kill at any point (every move
 * is found again from Fly's state on the next pass).
 */
export async function runReconcilerPass(deps: ReconcilerDeps): Promise<PassResult> {
  const started = performance.now();
  const now = deps.clock.now();
  const result: PassResult = { claimed: 0, moves: {}, errors: 0, durationMs: 0 };
  const ids = await claimDueDeployments(deps.pool, { holder: deps.holder, now, leaseMs: deps.settings.leaseMs, limit: deps.settings.batchSize });
  result.claimed = ids.length;
  if (ids.length === 0) return { ...result, durationMs: performance.now() - started };

  const deployments = await deps.db.deployment.findMany({ where: { id: { in: ids } }, include: { team: true } });
  const byTeam = new Map<string, WithTeam[]>();
  for (const dep of deployments) byTeam.set(dep.teamId, [...(byTeam.get(dep.teamId) ?? []), dep]);

  await forEachLimit([...byTeam.values()], deps.settings.teamConcurrency, async (group) => {
      const team = group[0]!.team;
      let home: TenantHome | undefined = team.flyAppName ? { appName: team.flyAppName, network: team.flyNetwork ?? '' } : undefined;
      let machines: MachineStatus[] = [];
      try {
        if (home) machines = await deps.driver.listMachines(home);
      } catch (error) {
        if (error instanceof DriverError && error.kind === 'not_found') {
          home = undefined; // the app is gone (deleted behind our back): it is created again on demand
        } else {
          for (const dep of group) await releaseAfterError(deps, dep, error);
          result.errors += group.length;
          return;
        }
      }
      for (const dep of group) {
        try {
          const outcome = await reconcileOne(deps, dep, home, machines);
          home = outcome.home;
          result.moves[outcome.move] = (result.moves[outcome.move] ?? 0) + 1;
        } catch (error) {
          result.errors += 1;
          await releaseAfterError(deps, dep, error);
        }
      }
  });
  return { ...result, durationMs: performance.now() - started };
}

async function releaseAfterError(deps: ReconcilerDeps, dep: Deployment, error: unknown): Promise<void> {
  if (error instanceof LeaseLostError) return;
  const attempts = dep.attempts + 1;
  const wait = Math.min(deps.settings.errorBackoffBaseMs * 2 ** (attempts - 1), deps.settings.errorBackoffMaxMs);
  const jittered = wait / 2 + Math.random() * (wait / 2);
  const kind = error instanceof DriverError ? error.kind : 'internal';
  deps.logger.warn({ deploymentId: dep.id, kind, attempts, err: error }, 'reconcile move failed; backing off');
  if (attempts === 1 || attempts % 10 === 0) {
    await recordEvent(deps.db, {
      deploymentId: dep.id,
      type: 'driver_error',
      reason: error instanceof DriverError ? `machine platform error (${error.kind}); retrying` : 'internal error; retrying',
      data: { attempts },
      at: deps.clock.now(),
    }).catch(() => undefined);
  }
  await releaseDeployment(deps.pool, { id: dep.id, holder: deps.holder, nextAt: new Date(deps.clock.now().getTime() + jittered), attempts }).catch(() => undefined);
}

/** Writes the outcome of a move, guarded by our lease; throws LeaseLostError when another holder took over. */
async function commit(
  deps: ReconcilerDeps,
  dep: Deployment,
  data: Prisma.DeploymentUncheckedUpdateManyInput,
  move: Move,
  nextAt: Date,
  extraEvents: Array<{ type: 'machine_created' | 'machine_updated' | 'machine_destroyed' | 'restarted' | 'exited'; reason: string; data?: Record<string, string | number | boolean | null> }> = [],
): Promise<void> {
  const now = deps.clock.now();
  const newState = 'state' in move ? move.state : move.kind === 'fail' ? 'failed' : dep.state;
  const changed = newState !== dep.state;
  // The same UPDATE ends our lease and schedules the next look: one statement per deployment per pass.
  const release = { leaseHolder: null, leaseExpiresAt: null, nextReconcileAt: nextAt, attempts: 0 };
  // Guarded by our lease, not by `version`: `version` counts changes of intent (API writes), so a pass
  // never turns a user's concurrent PATCH into a spurious version conflict.
  const update = {
    where: { id: dep.id, leaseHolder: deps.holder },
    data: { ...data, ...release, state: newState, stateReason: move.reason, ...(changed ? { stateChangedAt: now } : {}) },
  };
  if (!changed && extraEvents.length === 0) {
    // The common steady-state look: one statement, no interactive transaction (a pass writes thousands).
    if ((await deps.db.deployment.updateMany(update)).count !== 1) throw new LeaseLostError();
    return;
  }
  await deps.db.$transaction(async (tx) => {
    const updated = await tx.deployment.updateMany(update);
    if (updated.count !== 1) throw new LeaseLostError();
    for (const event of extraEvents) await recordEvent(tx, { deploymentId: dep.id, ...event, at: now });
    if (changed) {
      await recordEvent(tx, { deploymentId: dep.id, type: 'state_changed', fromState: dep.state, toState: newState, reason: move.reason, at: now });
    }
  });
}

async function ensureHome(deps: ReconcilerDeps, team: Team): Promise<TenantHome> {
  const home = await deps.driver.ensureTenant(team.id);
  await deps.db.team.update({ where: { id: team.id }, data: { flyAppName: home.appName, flyNetwork: home.network } });
  return home;
}

async function pushSecrets(deps: ReconcilerDeps, dep: Deployment, home: TenantHome): Promise<number | undefined> {
  const values = await deps.secrets.resolve(dep);
  const namespaced = Object.fromEntries(Object.entries(values).map(([name, value]) => [deploymentSecretName(dep.id, name), value]));
  return deps.driver.setSecrets(home, namespaced);
}

function secretNamesOf(dep: Deployment): string[] {
  const spec = StoredLaunchSpecSchema.safeParse(dep.launchSpec);
  const names = spec.success ? Object.keys(spec.data.secrets) : [];
  return [...names, RUNNER_TOKEN_ENV].map((name) => deploymentSecretName(dep.id, name));
}

async function reconcileOne(
  deps: ReconcilerDeps,
  dep: WithTeam,
  home: TenantHome | undefined,
  machines: MachineStatus[],
): Promise<{ move: Move['kind']; home: TenantHome | undefined }> {
  const now = deps.clock.now();
  const machine = machineFor(dep, machines);
  const move = decideMove(dep, machine, now, deps.settings);
  const exitEvents =
    machine?.lastExit && machine.lastExit.at && (dep.lastExitCode !== (machine.lastExit.exitCode ?? null) || move.kind === 'start')
      ? [{ type: 'exited' as const, reason: `machine exited${machine.lastExit.oomKilled ? ' (out of memory)' : ''}`, data: { exitCode: machine.lastExit.exitCode ?? null, oomKilled: machine.lastExit.oomKilled } }]
      : [];
  const exitData = machine?.lastExit ? { lastExitCode: machine.lastExit.exitCode ?? null, lastOomKilled: machine.lastExit.oomKilled } : {};
  const after = (ms: number) => new Date(now.getTime() + ms);
  const steady = move.kind === 'observe' && (move.state === 'running' || move.state === 'stopped' || move.state === 'failed');
  const nextAt =
    move.kind === 'observe'
      ? (move.nextAt ?? after(steady ? deps.settings.intervalMs : deps.settings.busyIntervalMs))
      : move.kind === 'fail'
        ? after(deps.settings.intervalMs)
        : after(deps.settings.busyIntervalMs);

  if (move.kind === 'create' || move.kind === 'update') {
    const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
    try {
      await deps.launch.check({
        command: launchCommand(dep.runtime, dep.packageName, dep.packageVersion),
        pinned: { runtime: dep.runtime, name: dep.packageName, version: dep.packageVersion },
        args: spec.args,
        env: spec.env,
        secretNames: Object.keys(spec.secrets),
      });
    } catch (error) {
      if (!(error instanceof LaunchSpecError)) throw error;
      const reason = `launch spec rejected before launch: ${error.issues.map((i) => `${i.path} (${i.rule})`).join(', ')}`;
      const fail: Move = { kind: 'fail', machineId: machine?.id, reason, counters: { healthFailures: 0, restartCount: dep.restartCount, restartWindowAt: dep.restartWindowAt, lastRestartAt: dep.lastRestartAt } };
      if (machine && home) await deps.driver.stopMachine(home, machine.id).catch(() => undefined);
      await commit(deps, dep, {}, fail, after(deps.settings.intervalMs));
      return { move: 'fail', home };
    }
  }

  switch (move.kind) {
    case 'create': {
      const target = home ?? (await ensureHome(deps, dep.team));
      home = target;
      const version = await pushSecrets(deps, dep, target);
      const created = await deps.driver.createMachine(target, launchPlanFor(dep, version));
      await commit(deps, dep, { machineId: created.id, machineVersion: created.version, flyAppName: target.appName, privateAddress: created.endpoint ?? null, secretsVersion: version ?? null, appliedGeneration: dep.generation, healthFailures: 0, restartRequestedAt: null }, move, nextAt, [
        { type: 'machine_created', reason: 'machine created', data: { machineId: created.id } },
      ]);
      break;
    }
    case 'update': {
      const target = home!;
      const version = await pushSecrets(deps, dep, target);
      const updated = await deps.driver.updateMachine(target, move.machineId, move.version, launchPlanFor(dep, version));
      await commit(deps, dep, { machineVersion: updated.version, privateAddress: updated.endpoint ?? null, secretsVersion: version ?? null, appliedGeneration: dep.generation, healthFailures: 0 }, move, nextAt, [
        { type: 'machine_updated', reason: move.reason, data: { generation: dep.generation } },
      ]);
      break;
    }
    case 'start':
      await deps.driver.startMachine(home!, move.machineId);
      await commit(deps, dep, { ...move.counters, ...exitData, machineId: move.machineId }, move, nextAt, exitEvents);
      break;
    case 'restart':
      // A restart the user asked for boots with the credentials' current values (Fly reads secrets at boot).
      if (dep.restartRequestedAt) await pushSecrets(deps, dep, home!);
      // Fly restarts only a started machine (412 otherwise); a stopped or failed one is started instead.
      if (machine?.state === 'started') await deps.driver.restartMachine(home!, move.machineId);
      else await deps.driver.startMachine(home!, move.machineId);
      await commit(deps, dep, { ...move.counters, ...exitData, restartRequestedAt: null }, move, nextAt, [
        ...exitEvents,
        { type: 'restarted', reason: move.reason, data: { restartCount: move.counters.restartCount } },
      ]);
      break;
    case 'stop':
      await deps.driver.stopMachine(home!, move.machineId);
      await commit(deps, dep, {}, move, nextAt);
      break;
    case 'fail':
      if (move.machineId && home) await deps.driver.stopMachine(home, move.machineId).catch(() => undefined);
      await commit(deps, dep, { ...move.counters, ...exitData }, move, nextAt, exitEvents);
      break;
    case 'destroy':
      await deps.driver.destroyMachine(home!, move.machineId);
      await commit(deps, dep, {}, move, nextAt, [{ type: 'machine_destroyed', reason: move.reason, data: { machineId: move.machineId } }]);
      break;
    case 'finish_delete':
      home = await finishDelete(deps, dep, home);
      return { move: move.kind, home };
    case 'observe':
      await commit(deps, dep, { ...move.counters, ...exitData, ...(machine ? { machineId: machine.id, machineVersion: machine.version, privateAddress: machine.endpoint ?? null } : {}) }, move, nextAt, exitEvents);
      break;
  }
  return { move: move.kind, home };
}

/**
 * The machine is gone: remove the deployment's app secrets, then the row (its events and inline secrets go
 * with it). The team's app is deleted with its last deployment, under a lock on the team row so a deployment
 * created at the same moment waits and then finds no app (it creates a new one).
 */
async function finishDelete(deps: ReconcilerDeps, dep: WithTeam, home: TenantHome | undefined): Promise<TenantHome | undefined> {
  if (home) await deps.driver.unsetSecrets(home, secretNamesOf(dep));
  let remainingHome = home;
  await deps.db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT id FROM teams WHERE id = ${dep.teamId} FOR UPDATE`;
      const others = await tx.deployment.count({ where: { teamId: dep.teamId, id: { not: dep.id } } });
      if (others === 0 && home) {
        await deps.driver.deleteTenant(home);
        await tx.team.update({ where: { id: dep.teamId }, data: { flyAppName: null, flyNetwork: null } });
        remainingHome = undefined;
      }
      const removed = await tx.deployment.deleteMany({ where: { id: dep.id, leaseHolder: deps.holder } });
      if (removed.count !== 1) throw new LeaseLostError();
    },
    { timeout: 30_000 },
  );
  deps.logger.info({ deploymentId: dep.id, teamId: dep.teamId }, 'deployment deleted');
  return remainingHome;
}
