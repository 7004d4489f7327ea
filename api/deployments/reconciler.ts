import type pg from 'pg';
import type { Deployment, Team } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import { deploymentSecretName } from '../machines/machine-config.ts';
import { DriverError, type MachineDriver, type MachineStatus, type TenantHome } from '../machines/driver.ts';
import type { Clock } from '../platform/clock.ts';
import { forEachLimit } from '../platform/concurrency.ts';
import type { Logger } from '../platform/logger.ts';
import { decideMove, type Move, type ReconcilerSettings } from './decide.ts';
import { permanentFailure } from './failure.ts';
import { launchPlanFor, RUNNER_TOKEN_ENV, StoredLaunchSpecSchema } from './launch.ts';
import type { LaunchChecker } from './launch-check.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';
import { claimDueDeployments } from './lease.ts';
import { commitMove as commit, LeaseLostError, releaseAfterError, type MoveEvent, type ObservedData } from './reconciler-commit.ts';

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
  /** Plaintext launch secrets, decrypted only here (not `Services.secrets`, the logger's masking registry). */
  launchSecrets: LaunchSecretsSource;
  /** The launch-spec gate again, right before a machine is made from stored data (second layer). */
  launchChecker: LaunchChecker;
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

async function ensureHome(deps: ReconcilerDeps, team: Team): Promise<TenantHome> {
  const home = await deps.driver.ensureTenant(team.id);
  await deps.db.team.update({ where: { id: team.id }, data: { flyAppName: home.appName, flyNetwork: home.network } });
  return home;
}

async function pushSecrets(deps: ReconcilerDeps, dep: Deployment, home: TenantHome): Promise<number | undefined> {
  const values = await deps.launchSecrets.resolve(dep);
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
  // A start or restart of a failed deployment is a fresh try: decided as if pending, crash-loop record cleared.
  const revived = dep.desiredState === 'running' && dep.state === 'failed' && (dep.startRequestedAt !== null || dep.restartRequestedAt !== null);
  const move = decideMove(revived ? { ...dep, state: 'pending', ...FRESH_COUNTERS } : dep, machine, now, deps.settings);
  const write = (data: ObservedData, m: Move, at: Date, events?: MoveEvent[]) => commit(deps, dep, { ...(revived ? FRESH_COUNTERS : {}), ...data }, m, at, events);
  try {
    if (move.kind === 'create' || move.kind === 'update') await checkStoredSpec(deps, dep);
    return await applyMove(deps, dep, move, machine, home, now, write);
  } catch (error) {
    // Errors that will never succeed end the deployment in `failed` with a stable code; the rest retry.
    const failure = LAUNCHING.has(move.kind) ? permanentFailure(error) : undefined;
    if (!failure) throw error;
    if (machine && home) await deps.driver.stopMachine(home, machine.id).catch(() => undefined);
    const counters = { healthFailures: 0, restartCount: dep.restartCount, restartWindowAt: dep.restartWindowAt, lastRestartAt: dep.lastRestartAt };
    const fail: Move = { kind: 'fail', machineId: machine?.id, code: failure.code, reason: failure.message, counters };
    await write({ ...counters, restartRequestedAt: null }, fail, new Date(now.getTime() + deps.settings.intervalMs));
    return { move: 'fail', home };
  }
}

const LAUNCHING: ReadonlySet<Move['kind']> = new Set(['create', 'update', 'start', 'restart']);
const FRESH_COUNTERS = { healthFailures: 0, restartCount: 0, restartWindowAt: null, lastRestartAt: null };
type Write = (data: ObservedData, move: Move, nextAt: Date, events?: MoveEvent[]) => Promise<void>;

/** The launch-spec gate again, on the stored spec, right before a machine is made from it (LaunchSpecError). */
async function checkStoredSpec(deps: ReconcilerDeps, dep: Deployment): Promise<void> {
  const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
  await deps.launchChecker.check({
    pinned: PinnedPackage.ofDeployment(dep),
    args: spec.args,
    env: spec.env,
    secretNames: Object.keys(spec.secrets),
  });
}

/** Makes the move's driver call(s) and writes what came of it. */
async function applyMove(
  deps: ReconcilerDeps,
  dep: WithTeam,
  move: Move,
  machine: MachineStatus | undefined,
  home: TenantHome | undefined,
  now: Date,
  commit: Write,
): Promise<{ move: Move['kind']; home: TenantHome | undefined }> {
  const exitEvents =
    machine?.lastExit && machine.lastExit.at && (dep.lastExitCode !== (machine.lastExit.exitCode ?? null) || move.kind === 'start')
      ? [{ type: 'exited' as const, reason: `machine exited${machine.lastExit.oomKilled ? ' (out of memory)' : ''}`, data: { exitCode: machine.lastExit.exitCode ?? null, oomKilled: machine.lastExit.oomKilled, lastLines: machine.lastExit.lastLines ?? [] } }]
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

  switch (move.kind) {
    case 'create': {
      const target = home ?? (await ensureHome(deps, dep.team));
      home = target;
      const version = await pushSecrets(deps, dep, target);
      const created = await deps.driver.createMachine(target, launchPlanFor(dep, version));
      await commit({ machineId: created.id, machineVersion: created.version, flyAppName: target.appName, privateAddress: created.endpoint ?? null, secretsVersion: version ?? null, appliedGeneration: dep.generation, healthFailures: 0, restartRequestedAt: null }, move, nextAt, [
        { type: 'machine_created', reason: 'machine created', data: { machineId: created.id } },
      ]);
      break;
    }
    case 'update': {
      const target = home!;
      const version = await pushSecrets(deps, dep, target);
      const updated = await deps.driver.updateMachine(target, move.machineId, move.version, launchPlanFor(dep, version));
      await commit({ machineVersion: updated.version, privateAddress: updated.endpoint ?? null, secretsVersion: version ?? null, appliedGeneration: dep.generation, healthFailures: 0 }, move, nextAt, [
        { type: 'machine_updated', reason: move.reason, data: { generation: dep.generation } },
      ]);
      break;
    }
    case 'start':
      await deps.driver.startMachine(home!, move.machineId);
      await commit({ ...move.counters, ...exitData, machineId: move.machineId }, move, nextAt, exitEvents);
      break;
    case 'restart':
      // A restart the user asked for boots with the credentials' current values (Fly reads secrets at boot).
      if (dep.restartRequestedAt) await pushSecrets(deps, dep, home!);
      // Fly restarts only a started machine (412 otherwise); a stopped or failed one is started instead.
      if (machine?.state === 'started') await deps.driver.restartMachine(home!, move.machineId);
      else await deps.driver.startMachine(home!, move.machineId);
      await commit({ ...move.counters, ...exitData, restartRequestedAt: null }, move, nextAt, [
        ...exitEvents,
        { type: 'restarted', reason: move.reason, data: { restartCount: move.counters.restartCount } },
      ]);
      break;
    case 'stop':
      await deps.driver.stopMachine(home!, move.machineId);
      await commit({}, move, nextAt);
      break;
    case 'fail':
      if (move.machineId && home) await deps.driver.stopMachine(home, move.machineId).catch(() => undefined);
      await commit({ ...move.counters, ...exitData, restartRequestedAt: null }, move, nextAt, exitEvents);
      break;
    case 'destroy':
      await deps.driver.destroyMachine(home!, move.machineId);
      await commit({}, move, nextAt, [{ type: 'machine_destroyed', reason: move.reason, data: { machineId: move.machineId } }]);
      break;
    case 'finish_delete':
      home = await finishDelete(deps, dep, home);
      return { move: move.kind, home };
    case 'observe':
      await commit({ ...move.counters, ...exitData, ...(machine ? { machineId: machine.id, machineVersion: machine.version, privateAddress: machine.endpoint ?? null } : {}) }, move, nextAt, exitEvents);
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
