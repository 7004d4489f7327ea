import { DriverError, type LaunchPlan } from './driver.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';
import type { FlyMachineConfig, FlyMachineSecret } from './fly-types.ts';

/**
 * Builds a deployment's Fly machine config from its LaunchPlan. The runner image (pinned by digest)
 * starts `hangar-runner --port 8080 -- <package command>`; the runner serves MCP and `/healthz` on 8080
 * and reads its bearer token from `HANGAR_RUNNER_TOKEN`.
 *
 * Secrets: values never appear in `env` or metadata. They live in the team app's secrets under
 * per-deployment names (`DEP_<ID>_<NAME>`, see deploymentSecretName) and reach the machine through
 * `processes[0].secrets` (`env_var` is the name inside the machine, `name` the app secret), with
 * `ignore_app_secrets: true` so a machine sees only its own deployment's secrets. How this behaves on real
 * Fly is an open question recorded in context/plans/roadmap/ (issue 20).
 *
 * Networking: one `services` entry, Flycast only (private, port 80 to the runner's 8080); no public IP is
 * ever allocated, so the machine is reachable only on the team app's own private network and through the
 * Fly proxy from Hangar's control network.
 */

export const RUNNER_PORT = 8080;
export const RUNNER_HEALTH_PATH = '/healthz';
export const RUNNER_TOKEN_ENV = 'HANGAR_RUNNER_TOKEN';
export const RUNNER_CHECK_NAME = 'runner';

/** Metadata keys on every Hangar machine; the reconciler finds machines by `hangar_deployment`. */
export const METADATA = {
  team: 'hangar_team',
  deployment: 'hangar_deployment',
  generation: 'hangar_generation',
  version: 'hangar_version',
} as const;

export interface MachineConfigOptions {
  /** `registry/image@sha256:<64 hex>`: a tag alone is refused. */
  runnerImage: string;
  /** Hangar's own version, recorded in metadata. */
  hangarVersion: string;
  /** Go durations of the runner's HTTP check. */
  check?: { interval: string; timeout: string; gracePeriod: string };
  /** Fly restarts a crashed runner (non-zero exit) this many times before leaving it stopped. */
  restartMaxRetries?: number;
  stopTimeout?: string;
}

/** The port of the private (Flycast) service in front of the runner. */
export const FLYCAST_PORT = 80;

const DIGEST_PINNED = /^[a-z0-9][a-z0-9._\-/:]*@sha256:[a-f0-9]{64}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DURATION = /^\d+(ms|s|m|h)$/;

/** The app-secret name holding one deployment's secret `envName`: `DEP_<ID>_<ENVNAME>` (dep_ prefix dropped). */
export function deploymentSecretName(deploymentId: string, envName: string): string {
  if (!ENV_NAME.test(envName)) throw new DriverError('rejected', 'secret names must be valid environment variable names');
  const id = deploymentId.replace(/^dep_/i, '').toUpperCase().replace(/[^A-Z0-9]/g, '_');
  if (!id) throw new DriverError('rejected', 'deployment id is empty');
  return `DEP_${id}_${envName}`;
}

/** A deployment's deterministic machine name, so a retried create can find the first attempt by name. */
export function machineNameFor(deploymentId: string): string {
  return `hangar-${deploymentId.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/** The argv that runs the pinned package: `npx -y pkg@x.y.z ...args` or `uvx pkg==x.y.z ...args`. */
export function packageCommand(runtime: LaunchPlan['runtime'], packageRef: string, args: string[]): string[] {
  const pinned = PinnedPackage.parseRef(runtime, packageRef);
  if (!pinned) throw new DriverError('rejected', `package must be pinned to an exact version (${PinnedPackage.refForm(runtime)})`);
  return pinned.command(args);
}

/** The app-secret mappings a deployment's machine boots with: the runner token plus the plan's secrets. */
export function secretMappings(plan: Pick<LaunchPlan, 'deploymentId' | 'secretNames'>): FlyMachineSecret[] {
  const names = [...new Set([RUNNER_TOKEN_ENV, ...plan.secretNames])];
  return names.map((envName) => ({ env_var: envName, name: deploymentSecretName(plan.deploymentId, envName) }));
}

/**
 * The complete machine config for `plan` (an update replaces the whole config, so this is also what a
 * rolling replace sends). Throws a `rejected` DriverError for an unpinned image or package, a bad guest
 * size, or a plain env variable that shadows a secret.
 */
export function buildMachineConfig(plan: LaunchPlan, options: MachineConfigOptions): FlyMachineConfig {
  if (!DIGEST_PINNED.test(options.runnerImage)) throw new DriverError('rejected', 'runner image must be pinned by digest (image@sha256:...)');
  const { guest } = plan;
  if (!Number.isInteger(guest.cpus) || guest.cpus < 1 || !Number.isInteger(guest.memoryMb) || guest.memoryMb < 256 || guest.memoryMb % 256 !== 0) {
    throw new DriverError('rejected', 'guest size must be whole CPUs and memory in multiples of 256 MB');
  }
  const secrets = secretMappings(plan);
  for (const name of Object.keys(plan.env)) {
    if (!ENV_NAME.test(name)) throw new DriverError('rejected', `environment variable name "${name}" is invalid`);
    if (secrets.some((s) => s.env_var === name)) throw new DriverError('rejected', `environment variable "${name}" is also a secret`);
  }
  const check = options.check ?? { interval: '15s', timeout: '5s', gracePeriod: '30s' };
  for (const value of [check.interval, check.timeout, check.gracePeriod, options.stopTimeout ?? '30s']) {
    if (!DURATION.test(value)) throw new DriverError('rejected', `"${value}" is not a duration such as "15s"`);
  }
  return {
    image: options.runnerImage,
    guest: { cpu_kind: guest.cpuKind, cpus: guest.cpus, memory_mb: guest.memoryMb },
    init: {
      entrypoint: ['hangar-runner'],
      // `::`: Fly's private network (6PN) is IPv6; the proxy and the health check reach the runner there.
      cmd: ['--host', '::', '--port', String(RUNNER_PORT), '--', ...packageCommand(plan.runtime, plan.packageRef, plan.args)],
    },
    // Names only (never values): the runner masks these variables' values in the server's forwarded stderr.
    env: { ...plan.env, HANGAR_RUNNER_SECRET_NAMES: secrets.map((s) => s.env_var).join(',') },
    processes: [{ ignore_app_secrets: true, secrets }],
    // Flycast only (no public IP is ever allocated): Hangar's proxy reaches the runner through the Fly proxy
    // at <app>.flycast, pinning this machine with `fly-force-instance-id`. Always on: Hangar decides restarts.
    services: [
      { protocol: 'tcp', internal_port: RUNNER_PORT, autostop: 'off', autostart: false, ports: [{ port: FLYCAST_PORT, handlers: ['http'] }] },
    ],
    restart: { policy: 'on-failure', max_retries: options.restartMaxRetries ?? 3 },
    checks: {
      [RUNNER_CHECK_NAME]: {
        type: 'http',
        port: RUNNER_PORT,
        path: RUNNER_HEALTH_PATH,
        method: 'GET',
        protocol: 'http',
        interval: check.interval,
        timeout: check.timeout,
        grace_period: check.gracePeriod,
      },
    },
    stop_config: { signal: 'SIGTERM', timeout: options.stopTimeout ?? '30s' },
    metadata: {
      [METADATA.team]: plan.teamId,
      [METADATA.deployment]: plan.deploymentId,
      [METADATA.generation]: String(plan.generation),
      [METADATA.version]: options.hangarVersion,
    },
    auto_destroy: false,
  };
}
