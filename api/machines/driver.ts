/**
 * The contract between the reconciler and whatever runs machines: Fly Machines in production
 * (fly-driver.ts), local runner processes in the zero-configuration mode (local-driver.ts), and the fake
 * Fly API in tests. Every call is idempotent or says how to make it so; the reconciler never assumes a
 * call it made was applied without reading state back.
 */

/** Observed machine states, as Fly names them (the local driver maps process states onto these). */
export type MachineState =
  | 'created'
  | 'starting'
  | 'started'
  | 'stopping'
  | 'stopped'
  | 'suspended'
  | 'failed'
  | 'restarting'
  | 'updating'
  | 'replacing'
  | 'destroying'
  | 'destroyed'
  | 'launch_failed'
  | 'creating'
  | 'suspending';

export type CheckStatus = 'passing' | 'warning' | 'critical';

export interface MachineCheck {
  name: string;
  status: CheckStatus;
  updatedAt: string | undefined;
}

/** The last exit the machine reported (from its events), if any. */
export interface MachineExit {
  exitCode: number | undefined;
  oomKilled: boolean;
  at: string | undefined;
  /** The last stderr lines of the MCP server before the exit, masked (local driver; Fly: not known, so absent). */
  lastLines?: string[];
}

/** What the reconciler sees of one machine. */
export interface MachineStatus {
  id: string;
  name: string;
  state: MachineState;
  /** Opaque config version, passed back on update (Fly: `current_version`). */
  version: string;
  /** Where the proxy reaches the runner: `http://[fdaa:...]:8080` on Fly, `http://127.0.0.1:PORT` locally. */
  endpoint: string | undefined;
  checks: MachineCheck[];
  lastExit: MachineExit | undefined;
  /** The deployment id from the machine's metadata, so machines are found without trusting stored ids. */
  deploymentId: string | undefined;
  /** Hangar's deployment generation the machine was built from (metadata), for rolling replaces. */
  generation: number | undefined;
}

/** Everything needed to build one deployment's machine. Secrets travel separately (setSecrets). */
export interface LaunchPlan {
  deploymentId: string;
  teamId: string;
  generation: number;
  /** Deterministic per deployment, so a retried create can find the first attempt. */
  machineName: string;
  region: string;
  runtime: 'npm' | 'pypi';
  /** Exact pinned package: `name@1.2.3` (npm) or `name==1.2.3` (PyPI). */
  packageRef: string;
  args: string[];
  /** Non-secret environment only. */
  env: Record<string, string>;
  /** Names of the secret variables the runner must receive (values are in the tenant's secrets). */
  secretNames: string[];
  guest: { cpuKind: 'shared' | 'performance'; cpus: number; memoryMb: number };
  /** Secrets version the machine must boot with (Fly `min_secrets_version`). */
  minSecretsVersion: number | undefined;
}

/** The tenant's isolated home: one Fly app on its own private network (locally: one directory). */
export interface TenantHome {
  appName: string;
  network: string;
}

export type DriverErrorKind =
  /** Retry later with backoff: 429, 5xx, timeouts, network errors. */
  | 'transient'
  /** Out of capacity in this region. */
  | 'capacity'
  /** The thing does not exist (already destroyed). */
  | 'not_found'
  /** Stale version or lease held by someone else: re-read state, then decide again. */
  | 'conflict'
  /** The request itself was rejected: retrying the same call will not help. */
  | 'rejected';

/** A failed driver call, classified so the reconciler can decide without reading messages. */
export class DriverError extends Error {
  override name = 'DriverError';
  constructor(
    readonly kind: DriverErrorKind,
    message: string,
    readonly status?: number,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export interface MachineDriver {
  readonly kind: 'fly' | 'local';
  /** Creates the tenant's app and network when missing; returns it either way. */
  ensureTenant(teamId: string): Promise<TenantHome>;
  /** Deletes the tenant's app (cascading to anything left in it). Missing is success. */
  deleteTenant(home: TenantHome): Promise<void>;
  /** Sets secrets in the tenant's app and returns the secrets version to boot machines with. */
  setSecrets(home: TenantHome, values: Record<string, string>): Promise<number | undefined>;
  /** Removes secrets by name. Missing names are ignored. */
  unsetSecrets(home: TenantHome, names: string[]): Promise<void>;
  /** Every machine in the tenant's app (one call per app per reconciler pass). */
  listMachines(home: TenantHome): Promise<MachineStatus[]>;
  getMachine(home: TenantHome, machineId: string): Promise<MachineStatus | undefined>;
  /** Creates and starts a machine. Callers look for an existing one (by metadata) before calling this. */
  createMachine(home: TenantHome, plan: LaunchPlan): Promise<MachineStatus>;
  /** Replaces the machine's config (rolling update); `version` guards against lost updates. */
  updateMachine(home: TenantHome, machineId: string, version: string, plan: LaunchPlan): Promise<MachineStatus>;
  startMachine(home: TenantHome, machineId: string): Promise<void>;
  stopMachine(home: TenantHome, machineId: string): Promise<void>;
  /** Restarts under the machine's lease, so two Hangars never restart the same machine at once. */
  restartMachine(home: TenantHome, machineId: string): Promise<void>;
  /** Destroys the machine. Missing is success. */
  destroyMachine(home: TenantHome, machineId: string): Promise<void>;
  /** Releases anything the driver holds (timers, child processes in local mode). */
  close(): Promise<void>;
}
