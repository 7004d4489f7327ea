import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import type { LocalMachine, LocalMachineDriverOptions, LocalTenant } from './local-driver-types.ts';
import { RunnerProcess } from '../../runner/runner-process.ts';
import {
  DriverError,
  type LaunchPlan,
  type MachineDriver,
  type MachineStatus,
  type TenantHome,
} from './driver.ts';
import { LAST_LINES, serverStderrOf } from './local-stderr.ts';
import { packageCommand, secretMappings } from './machine-config.ts';
import { detectSandbox, runtimeEntries, type SandboxTools } from './sandbox/detect.ts';
import { allocateUid, DEFAULT_LIMITS, SANDBOX_HOME, SANDBOX_NPM_CACHE, SANDBOX_TMP, sandboxCommand } from './sandbox/command.ts';

export type { LocalMachineDriverOptions } from './local-driver-types.ts';

const CHECK_NAME = 'runner-health';
const STOP_GRACE_MS = 8000;

/**
 * Machines as local runner processes, for the zero-configuration mode. Each machine is one runner on a
 * free loopback port, in its own working directory, with a clean environment: never the API's own, only
 * PATH, HOME and TMPDIR (inside the machine's directory), LANG, npm's cache and update-notifier settings,
 * the plan's env, the plan's secrets (read at start, like Fly) and `HANGAR_RUNNER_SECRET_NAMES`. Secrets use
 * the Fly driver's naming (machine-config secretMappings): tenant secret `DEP_<ID>_<NAME>` becomes `<NAME>`
 * in the machine, and `HANGAR_RUNNER_TOKEN` (the runner's bearer token) is always one of them. Exits are not restarted here: the
 * reconciler sees `failed` (with `lastExit`) and restarts, as it does for health failures on Fly.
 * With `bwrap` on PATH (see `sandbox`) each machine's MCP server runs in a sandbox of its own (SECURITY.md,
 * "Local mode"): own host uid when Hangar runs as root, own user/mount/PID/IPC namespaces, read-only runtime,
 * its own writable home and /tmp (removed on destroy), its own npm cache. The runner stays outside, on
 * loopback, holding its token; the server cannot see its process or environment (own PID namespace).
 * Without the sandbox, machines run as the API's OS user and are no isolation boundary.
 */
export class LocalMachineDriver implements MachineDriver {
  readonly kind = 'local' as const;
  private readonly tenants = new Map<string, LocalTenant>();
  private readonly machines = new Map<string, LocalMachine>();
  private readonly healthIntervalMs: number;
  /** The sandbox's tools, or undefined when machines run unsandboxed. */
  readonly sandbox: SandboxTools | undefined;

  constructor(private readonly options: LocalMachineDriverOptions) {
    this.healthIntervalMs = options.healthIntervalMs ?? 5000;
    this.sandbox = options.sandbox === false ? undefined : (options.sandbox ?? detectSandbox(process.env.PATH));
  }

  async ensureTenant(teamId: string): Promise<TenantHome> {
    const appName = `local-${teamId}`;
    const existing = this.tenants.get(appName);
    if (existing) return existing.home;
    const home = { appName, network: 'loopback' };
    this.tenants.set(appName, { home, secrets: new Map(), secretsVersion: 0 });
    return home;
  }

  async deleteTenant(home: TenantHome): Promise<void> {
    for (const machine of this.machinesOf(home.appName)) await this.destroyMachine(home, machine.id);
    this.tenants.delete(home.appName);
  }

  async setSecrets(home: TenantHome, values: Record<string, string>): Promise<number | undefined> {
    const tenant = this.tenantOf(home);
    for (const [name, value] of Object.entries(values)) tenant.secrets.set(name, value);
    return ++tenant.secretsVersion;
  }

  async unsetSecrets(home: TenantHome, names: string[]): Promise<void> {
    const tenant = this.tenantOf(home);
    if (names.some((name) => tenant.secrets.delete(name))) tenant.secretsVersion++;
  }

  /** Where machines work (`<dataDir>/machines/<id>/`): Hangar's data dir in local mode. */
  get dataDir(): string {
    return this.options.dataDir;
  }

  /** The runner process id of a running machine (operators and tests; Fly has no equivalent). */
  pidOf(machineId: string): number | undefined {
    return this.machines.get(machineId)?.process?.pid;
  }

  async listMachines(home: TenantHome): Promise<MachineStatus[]> {
    return this.machinesOf(home.appName).map((machine) => this.statusOf(machine));
  }

  async getMachine(home: TenantHome, machineId: string): Promise<MachineStatus | undefined> {
    const machine = this.machines.get(machineId);
    return machine && machine.appName === home.appName ? this.statusOf(machine) : undefined;
  }

  async createMachine(home: TenantHome, plan: LaunchPlan): Promise<MachineStatus> {
    this.assertSecretsReady(this.tenantOf(home), plan);
    if (this.machinesOf(home.appName).some((m) => m.plan.machineName === plan.machineName)) {
      throw new DriverError('conflict', 'a machine with this name already exists', 409);
    }
    const machine: LocalMachine = {
      id: randomBytes(7).toString('hex'),
      appName: home.appName,
      plan,
      version: 1,
      state: 'created',
      port: undefined,
      process: undefined,
      check: undefined,
      lastExit: undefined,
      timer: undefined,
      uid: undefined,
      recent: [],
    };
    this.machines.set(machine.id, machine);
    await this.launch(machine);
    return this.statusOf(machine);
  }

  async updateMachine(home: TenantHome, machineId: string, version: string, plan: LaunchPlan): Promise<MachineStatus> {
    const machine = this.machineOf(home, machineId);
    if (String(machine.version) !== version) throw new DriverError('conflict', 'stale machine version', 409);
    machine.plan = plan;
    machine.version++;
    if (machine.process) {
      await this.halt(machine);
      await this.launch(machine);
    }
    return this.statusOf(machine);
  }

  async startMachine(home: TenantHome, machineId: string): Promise<void> {
    const machine = this.machineOf(home, machineId);
    if (!machine.process) await this.launch(machine);
  }

  async stopMachine(home: TenantHome, machineId: string): Promise<void> {
    await this.halt(this.machineOf(home, machineId));
  }

  async restartMachine(home: TenantHome, machineId: string): Promise<void> {
    const machine = this.machineOf(home, machineId);
    await this.halt(machine);
    await this.launch(machine);
  }

  async destroyMachine(home: TenantHome, machineId: string): Promise<void> {
    const machine = this.machines.get(machineId);
    if (!machine || machine.appName !== home.appName) return;
    await this.halt(machine);
    machine.state = 'destroyed';
    this.machines.delete(machineId);
    await rm(this.machineDir(machine.plan), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.machines.values()].map((machine) => this.halt(machine)));
  }

  private async launch(machine: LocalMachine): Promise<void> {
    const tenant = this.tenantOf({ appName: machine.appName, network: 'loopback' });
    const { plan } = machine;
    this.assertSecretsReady(tenant, plan);
    const dir = this.machineDir(plan);
    const sandbox = this.sandbox;
    const home = join(dir, 'home');
    const tmp = join(dir, 'tmp');
    await mkdir(home, { recursive: true });
    await mkdir(tmp, { recursive: true });
    if (sandbox) await this.prepareSandboxDirs(machine, dir, [home, tmp]);
    const env: Record<string, string> = {
      PATH: this.options.path ?? `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: sandbox ? SANDBOX_HOME : home,
      TMPDIR: sandbox ? SANDBOX_TMP : tmp,
      LANG: 'C.UTF-8',
      npm_config_cache: sandbox ? SANDBOX_NPM_CACHE : join(this.options.dataDir, 'npm-cache'),
      npm_config_update_notifier: 'false',
      ...plan.env,
      HANGAR_RUNNER_SECRET_NAMES: plan.secretNames.join(','),
    };
    for (const { env_var: name, name: secretName } of secretMappings(plan)) {
      const value = secretName === undefined ? undefined : tenant.secrets.get(secretName);
      if (value !== undefined) env[name] = value;
    }
    const log = this.options.logger.child({ machineId: machine.id, deploymentId: plan.deploymentId });
    const command = this.options.serverCommand?.(plan) ?? packageCommand(plan.runtime, plan.packageRef, plan.args);
    const serverCommand = sandbox ? this.sandboxed(sandbox, machine, home, tmp, command, env.PATH ?? '') : command;
    const runner = new RunnerProcess({
      runnerCommand: this.options.runnerCommand,
      runnerArgs: [],
      serverCommand,
      env,
      cwd: dir,
      onLine: (line) => {
        const stderr = serverStderrOf(line);
        if (stderr !== undefined && machine.process === runner) {
          machine.recent.push(stderr);
          if (machine.recent.length > LAST_LINES) machine.recent.shift();
        }
        log.debug({ line: line.slice(0, 2000) }, 'runner output');
      },
    });
    Object.assign(machine, { process: runner, state: 'starting', port: undefined, check: undefined, recent: [] });
    log.info({ pid: runner.pid }, 'local machine starting');
    void runner.exited.then((exit) => this.onExit(machine, runner, exit));
    runner.listening.then(
      (port) => {
        if (machine.process !== runner) return;
        Object.assign(machine, { port, state: 'started' });
        machine.timer = setInterval(() => void this.probe(machine, runner), this.healthIntervalMs);
        void this.probe(machine, runner);
      },
      () => undefined,
    );
  }

  private onExit(machine: LocalMachine, runner: RunnerProcess, exit: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (machine.process !== runner) return;
    clearInterval(machine.timer);
    const exitCode = exit.code ?? 128 + (exit.signal ? (constants.signals[exit.signal] ?? 0) : 0);
    machine.lastExit = { exitCode, oomKilled: false, at: new Date().toISOString(), lastLines: [...machine.recent] };
    const stopping = machine.state === 'stopping';
    Object.assign(machine, { process: undefined, timer: undefined, port: undefined, state: stopping ? 'stopped' : 'failed' });
    machine.check = { name: CHECK_NAME, status: 'critical', updatedAt: new Date().toISOString() };
    this.options.logger.info({ machineId: machine.id, exitCode, stopping }, 'local machine exited');
  }

  /** As root: the machine's dirs belong to its own uid (0700); the data dir must be traversable (0711). */
  private async prepareSandboxDirs(machine: LocalMachine, dir: string, writable: string[]): Promise<void> {
    if (!this.sandbox?.setpriv) return;
    const inUse = new Set([...this.machines.values()].flatMap((m) => (m !== machine && m.uid !== undefined ? [m.uid] : [])));
    machine.uid ??= allocateUid(machine.plan.deploymentId, inUse);
    await chmod(this.options.dataDir, 0o711);
    await chmod(join(this.options.dataDir, 'machines'), 0o711);
    for (const path of [dir, ...writable]) {
      await chown(path, machine.uid, machine.uid);
      await chmod(path, 0o700);
    }
  }

  private sandboxed(tools: SandboxTools, machine: LocalMachine, home: string, tmp: string, command: string[], path: string): string[] {
    const programs = [process.execPath, ...['npx', 'npm', 'uvx', 'uv', 'python3'].flatMap((name) => path.split(':').map((dir) => join(dir, name)))];
    return sandboxCommand({
      tools,
      runtime: runtimeEntries(programs),
      homeDir: home,
      tmpDir: tmp,
      uid: machine.uid ?? 0,
      gid: machine.uid ?? 0,
      limits: this.options.limits ?? DEFAULT_LIMITS,
      nodePath: process.execPath,
      command,
    });
  }

  private async probe(machine: LocalMachine, runner: RunnerProcess): Promise<void> {
    const url = `http://127.0.0.1:${machine.port}/healthz`;
    const ok = await fetch(url, { signal: AbortSignal.timeout(3000) }).then((r) => r.status === 200, () => false);
    if (machine.process !== runner) return;
    machine.check = { name: CHECK_NAME, status: ok ? 'passing' : 'critical', updatedAt: new Date().toISOString() };
  }

  private async halt(machine: LocalMachine): Promise<void> {
    const runner = machine.process;
    if (!runner) return;
    machine.state = 'stopping';
    await runner.stop(STOP_GRACE_MS);
  }

  private assertSecretsReady(tenant: LocalTenant, plan: LaunchPlan): void {
    if (plan.minSecretsVersion !== undefined && plan.minSecretsVersion > tenant.secretsVersion) {
      throw new DriverError('rejected', 'secrets version not reached', 422);
    }
  }

  private statusOf(machine: LocalMachine): MachineStatus {
    return {
      id: machine.id,
      name: machine.plan.machineName,
      state: machine.state,
      version: String(machine.version),
      endpoint: machine.state === 'started' && machine.port ? `http://127.0.0.1:${machine.port}` : undefined,
      checks: machine.check ? [machine.check] : [],
      lastExit: machine.lastExit,
      deploymentId: machine.plan.deploymentId,
      generation: machine.plan.generation,
    };
  }

  private machineDir(plan: LaunchPlan): string {
    return join(this.options.dataDir, 'machines', plan.deploymentId.replace(/[^A-Za-z0-9_-]/g, '_'));
  }

  private machinesOf(appName: string): LocalMachine[] {
    return [...this.machines.values()].filter((machine) => machine.appName === appName);
  }

  private tenantOf(home: TenantHome): LocalTenant {
    const tenant = this.tenants.get(home.appName);
    if (!tenant) throw new DriverError('not_found', 'tenant not found', 404);
    return tenant;
  }

  private machineOf(home: TenantHome, machineId: string): LocalMachine {
    const machine = this.machines.get(machineId);
    if (!machine || machine.appName !== home.appName) throw new DriverError('not_found', 'machine not found', 404);
    return machine;
  }
}
