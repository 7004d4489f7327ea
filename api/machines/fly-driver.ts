import type { Logger } from '../platform/logger.ts';
import {
  DriverError,
  type CheckStatus,
  type LaunchPlan,
  type MachineDriver,
  type MachineExit,
  type MachineState,
  type MachineStatus,
  type TenantHome,
} from './driver.ts';
import type { Config } from '../config/config.ts';
import type { FlyCallObserver } from '../metrics/hangar-metrics.ts';
import { FlyClient } from './fly-client.ts';
import { FlyError } from './fly-errors.ts';
import type { FlyExitEvent, FlyMachine, FlyMachineEvent } from './fly-types.ts';
import { buildMachineConfig, FLYCAST_PORT, METADATA, type MachineConfigOptions } from './machine-config.ts';

export interface FlyDriverOptions extends MachineConfigOptions {
  client: FlyClient;
  logger: Logger;
  /**
   * The 6PN network Hangar's own app is on ('' = the organization's default network). Each tenant app gets
   * its Flycast address there, so Hangar reaches every tenant while tenants, each on a network of its own,
   * cannot reach each other (config FLY_CONTROL_NETWORK).
   */
  controlNetwork?: string;
  /** Tenant apps are named `<appPrefix>-<team id>` (config FLY_APP_PREFIX). */
  appPrefix: string;
  /** How long a restart holds the machine's lease, and waits for `started` under it. */
  leaseTtlSeconds?: number;
  restartWaitSeconds?: number;
}

const STATES: ReadonlySet<string> = new Set<MachineState>([
  'created', 'starting', 'started', 'stopping', 'stopped', 'suspended', 'failed', 'restarting',
  'updating', 'replacing', 'destroying', 'destroyed', 'launch_failed', 'creating', 'suspending',
]);
const CHECKS: ReadonlySet<string> = new Set<CheckStatus>(['passing', 'warning', 'critical']);

/** The tenant app's name for a team: `<prefix>-<team id>`, lower case, dashes for anything else. */
export function tenantAppName(appPrefix: string, teamId: string): string {
  return `${appPrefix}-${teamId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/** The private network of a tenant app: its own, so no other team's machine can reach it. */
export function tenantNetwork(appName: string): string {
  return `${appName}-net`;
}

/** Where Hangar's proxy reaches a tenant app's runners: its Flycast name (the machine is chosen by header). */
export function flycastEndpoint(appName: string): string {
  return `http://${appName}.flycast:${FLYCAST_PORT}`;
}

/** Maps Fly's machine JSON to what the reconciler reads. Unknown states read as `failed`, unknown checks as `critical`. */
export function toMachineStatus(machine: FlyMachine, appName: string): MachineStatus {
  const metadata = machine.config?.metadata ?? {};
  const generation = Number(metadata[METADATA.generation]);
  return {
    id: machine.id ?? '',
    name: machine.name ?? '',
    state: (STATES.has(machine.state ?? '') ? machine.state : 'failed') as MachineState,
    version: machine.version ?? machine.instance_id ?? '',
    endpoint: flycastEndpoint(appName),
    checks: (machine.checks ?? []).map((check) => ({
      name: check.name ?? '',
      status: (CHECKS.has(check.status ?? '') ? check.status : 'critical') as CheckStatus,
      updatedAt: check.updated_at,
    })),
    lastExit: lastExit(machine),
    deploymentId: metadata[METADATA.deployment],
    generation: Number.isInteger(generation) ? generation : undefined,
  };
}

/** The exit an event reports, where fly-go's `GetExitCode` looks: `MonitorEvent.exit_event` first. */
function exitOf(event: FlyMachineEvent): FlyExitEvent | undefined {
  if (event.type !== 'exit') return undefined;
  return event.request?.MonitorEvent?.exit_event ?? event.request?.exit_event;
}

function lastExit(machine: FlyMachine): MachineExit | undefined {
  const exits = (machine.events ?? []).filter((event) => exitOf(event) !== undefined);
  const latest = exits.sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0))[0];
  const exit = latest ? exitOf(latest) : undefined;
  if (!latest || !exit) return undefined;
  return {
    exitCode: exit.exit_code,
    oomKilled: exit.oom_killed === true,
    at: exit.exited_at ?? (latest.timestamp ? new Date(latest.timestamp).toISOString() : undefined),
  };
}

function isNotFound(error: unknown): boolean {
  return error instanceof DriverError && error.kind === 'not_found';
}

/**
 * Runs deployments as Fly Machines: one app per team on its own network, secrets in app secrets,
 * machines with a private address only. Every method maps to one or a few Fly calls.
 */
export class FlyMachineDriver implements MachineDriver {
  readonly kind = 'fly' as const;

  constructor(private readonly options: FlyDriverOptions) {}

  /**
   * Reads the team's app, creating it (own network, idempotency key) when missing; `name_taken` is read
   * back, and is an error only if the name belongs to someone else. Then makes sure the app has a
   * private (Flycast) address on its network.
   */
  async ensureTenant(teamId: string): Promise<TenantHome> {
    const { client } = this.options;
    const appName = tenantAppName(this.options.appPrefix, teamId);
    let network = await this.readAppNetwork(appName);
    if (network === undefined) {
      try {
        await client.createApp({ name: appName, network: tenantNetwork(appName), idempotencyKey: `hangar-tenant-${appName}` });
      } catch (error) {
        if (!(error instanceof FlyError && error.flyStatus === 'name_taken')) throw error;
      }
      network = await this.readAppNetwork(appName);
      if (network === undefined) throw new DriverError('rejected', `Fly app name ${appName} is taken by another organization`);
    }
    const control = this.options.controlNetwork ?? '';
    const ips = await client.listIpAssignments(appName);
    // Real Fly's answer may carry no `network` (fly-go's IPAssignment has none): Hangar only ever assigns on
    // the control network, so a private IPv6 address without one counts as that assignment.
    const assigned = ips.some((ip) => ip.ip?.includes(':') && !ip.shared && (ip.network === undefined || (ip.network?.name ?? '') === control));
    if (!assigned) await client.assignPrivateIp(appName, control);
    return { appName, network };
  }

  async deleteTenant(home: TenantHome): Promise<void> {
    try {
      await this.options.client.deleteApp(home.appName);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async setSecrets(home: TenantHome, values: Record<string, string>): Promise<number | undefined> {
    if (Object.keys(values).length === 0) return undefined;
    return this.options.client.updateSecrets(home.appName, values);
  }

  async unsetSecrets(home: TenantHome, names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.options.client.updateSecrets(home.appName, Object.fromEntries(names.map((name) => [name, null])));
  }

  /** Every live machine of the app, in one list call per page (Fly pages with `fly-next-cursor`). */
  async listMachines(home: TenantHome): Promise<MachineStatus[]> {
    const machines = await this.options.client.listMachines(home.appName);
    return machines.filter((m) => m.state !== 'destroyed').map((m) => toMachineStatus(m, home.appName));
  }

  async getMachine(home: TenantHome, machineId: string): Promise<MachineStatus | undefined> {
    try {
      const machine = toMachineStatus(await this.options.client.getMachine(home.appName, machineId), home.appName);
      return machine.state === 'destroyed' ? undefined : machine;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** One create call, never repeated on failure: the caller looks for the machine by metadata first. */
  async createMachine(home: TenantHome, plan: LaunchPlan): Promise<MachineStatus> {
    const config = buildMachineConfig(plan, this.options);
    const machine = await this.options.client.createMachine(home.appName, {
      name: plan.machineName,
      region: plan.region,
      config,
      ...(plan.minSecretsVersion === undefined ? {} : { min_secrets_version: plan.minSecretsVersion }),
    });
    this.options.logger.info({ fly: { app: home.appName, machine: machine.id, deployment: plan.deploymentId } }, 'fly machine created');
    return toMachineStatus(machine, home.appName);
  }

  async updateMachine(home: TenantHome, machineId: string, version: string, plan: LaunchPlan): Promise<MachineStatus> {
    const config = buildMachineConfig(plan, this.options);
    const machine = await this.options.client.updateMachine(home.appName, machineId, {
      config,
      current_version: version,
      region: plan.region,
      ...(plan.minSecretsVersion === undefined ? {} : { min_secrets_version: plan.minSecretsVersion }),
    });
    return toMachineStatus(machine, home.appName);
  }

  async startMachine(home: TenantHome, machineId: string): Promise<void> {
    await this.options.client.startMachine(home.appName, machineId);
  }

  async stopMachine(home: TenantHome, machineId: string): Promise<void> {
    await this.options.client.stopMachine(home.appName, machineId, { signal: 'SIGTERM', timeout: this.options.stopTimeout ?? '30s' });
  }

  /**
   * Takes the machine's lease (a `conflict` DriverError when another holder has it), restarts, waits
   * for `started` under the lease, and releases it. A wait that runs out is not an error: the caller
   * re-reads the machine on its next pass.
   */
  async restartMachine(home: TenantHome, machineId: string): Promise<void> {
    const { client, logger } = this.options;
    const ttl = this.options.leaseTtlSeconds ?? 60;
    // acquireLease hands back a usable nonce or throws (having released anything it could not use).
    const lease = await client.acquireLease(home.appName, machineId, ttl, 'hangar restart');
    try {
      await client.restartMachine(home.appName, machineId, { timeout: this.options.stopTimeout ?? '30s', leaseNonce: lease.nonce });
      await client.waitForState(home.appName, machineId, 'started', this.options.restartWaitSeconds ?? 30);
    } finally {
      await client.releaseLease(home.appName, machineId, lease.nonce).catch((error: unknown) =>
        logger.warn({ fly: { app: home.appName, machine: machineId, err: error } }, 'fly lease release failed; it expires by itself'),
      );
    }
  }

  async destroyMachine(home: TenantHome, machineId: string): Promise<void> {
    try {
      await this.options.client.deleteMachine(home.appName, machineId, true);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async close(): Promise<void> {}

  private async readAppNetwork(appName: string): Promise<string | undefined> {
    try {
      const app = await this.options.client.getApp(appName);
      // An app on another network (the org's shared default, say) would break tenant isolation.
      if (app.network !== tenantNetwork(appName)) throw new DriverError('rejected', `Fly app ${appName} is not on its own network`);
      return app.network;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/**
 * Builds the Fly driver from `config.fly` (FLY_API_TOKEN, FLY_ORG, FLY_API_BASE_URL, HANGAR_RUNNER_IMAGE,
 * FLY_APP_PREFIX). Throws when a setting the Fly driver needs is missing.
 */
export function createFlyMachineDriver(fly: Config['fly'], deps: { logger: Logger; hangarVersion: string; metrics?: FlyCallObserver }): FlyMachineDriver {
  if (!fly.token || !fly.org || !fly.runnerImage) throw new Error('the Fly driver needs FLY_API_TOKEN, FLY_ORG and HANGAR_RUNNER_IMAGE');
  const client = new FlyClient({ baseUrl: fly.baseUrl, token: fly.token, orgSlug: fly.org, logger: deps.logger, metrics: deps.metrics });
  return new FlyMachineDriver({
    client,
    logger: deps.logger,
    appPrefix: fly.appPrefix,
    runnerImage: fly.runnerImage,
    hangarVersion: deps.hangarVersion,
    controlNetwork: fly.controlNetwork,
  });
}
