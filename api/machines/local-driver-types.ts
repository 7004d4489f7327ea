import type { Logger } from '../platform/logger.ts';
import type { RunnerProcess } from '../../runner/runner-process.ts';
import type { LaunchPlan, MachineCheck, MachineExit, MachineState, TenantHome } from './driver.ts';
import type { SandboxTools } from './sandbox/detect.ts';
import type { SandboxLimits } from './sandbox/command.ts';

export interface LocalMachineDriverOptions {
  /** Machines work in `<dataDir>/machines/<deploymentId>/`; unsandboxed npx shares `<dataDir>/npm-cache`. */
  dataDir: string;
  logger: Logger;
  /** How to start the runner program (default: this Node running runner/main.js when built, else tsx with runner/main.ts). */
  runnerCommand?: string[];
  /** Builds the stdio server command from a plan (default: machine-config's packageCommand, as on Fly). */
  serverCommand?: (plan: LaunchPlan) => string[];
  /** How often each machine's `/healthz` is polled (default 5 s). */
  healthIntervalMs?: number;
  /** PATH given to machines (default: this Node's directory, then /usr/local/bin:/usr/bin:/bin). */
  path?: string;
  /**
   * The sandbox (api/machines/sandbox/): default, the tools found on this process's PATH, so with `bwrap`
   * present every machine runs sandboxed. `false` runs plain processes (driver tests with repo fixtures).
   */
  sandbox?: SandboxTools | false;
  /** Resource limits inside the sandbox (default DEFAULT_LIMITS). */
  limits?: SandboxLimits;
}

/** One team's local home: its secrets, versioned like Fly's app secrets. */
export interface LocalTenant {
  home: TenantHome;
  secrets: Map<string, string>;
  secretsVersion: number;
}

/** One local machine: a runner process and what the driver knows of it. */
export interface LocalMachine {
  id: string;
  appName: string;
  plan: LaunchPlan;
  version: number;
  state: MachineState;
  port: number | undefined;
  process: RunnerProcess | undefined;
  check: MachineCheck | undefined;
  lastExit: MachineExit | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The host uid the sandbox runs as (root hosts only). */
  uid: number | undefined;
  /** The server's last stderr lines (as the runner logged them, masked), for the exit's `lastLines`. */
  recent: string[];
}
