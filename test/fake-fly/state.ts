import { createHash, randomBytes } from 'node:crypto';
import type { FlyMachine, FlyMachineConfig, FlyMachineEvent } from '../../api/machines/fly-types.ts';

/**
 * The fake Fly's in-memory world: apps (each on its own network), secrets with versions, IPs, machines
 * whose transient states move on asynchronously, config versions, leases, events and check statuses.
 */

export type CheckState = 'passing' | 'warning' | 'critical';

export interface MachineBehavior {
  /** Crash this long after every start (a crash loop), with this exit. */
  crashAfterStartMs?: number;
  exitCode?: number;
  oomKilled?: boolean;
  /** Check status set on every start (default: the fake's `initialCheckStatus`). */
  checkOnStart?: CheckState;
}

export interface FakeMachine {
  id: string;
  name: string;
  region: string;
  state: string;
  config: FlyMachineConfig;
  version: string;
  privateIp: string;
  createdAt: string;
  updatedAt: string;
  events: FlyMachineEvent[];
  checks: Map<string, { status: CheckState; output: string; updatedAt: string }>;
  lease: { nonce: string; owner: string; description: string; expiresAt: number } | undefined;
  restartCount: number;
  minSecretsVersion: number | undefined;
  /** The environment the machine booted with (env plus mapped secrets), for tests. */
  bootEnv: Record<string, string> | undefined;
  behavior: MachineBehavior;
  timers: Set<NodeJS.Timeout>;
  waiters: Set<() => void>;
}

export interface FakeApp {
  id: string;
  name: string;
  org: string;
  network: string;
  seq: number;
  idempotencyKey: string | undefined;
  secrets: Map<string, { value: string; digest: string; createdAt: string; updatedAt: string }>;
  secretsVersion: number;
  ips: Array<{ ip: string; network: string; createdAt: string }>;
  machines: Map<string, FakeMachine>;
}

export interface WorldOptions {
  transitionMs: number;
  destroyedVisibleMs: number;
  initialCheckStatus: CheckState;
}

const TRANSIENT = new Set(['creating', 'starting', 'stopping', 'restarting', 'updating', 'replacing', 'destroying', 'suspending']);

/** True for Fly's transient machine states. */
export function isTransientState(state: string): boolean {
  return TRANSIENT.has(state);
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function newVersion(): string {
  return `01${randomBytes(15).toString('base64url').toUpperCase().replace(/[^A-Z0-9]/g, 'X').slice(0, 24)}`;
}

export class FakeWorld {
  readonly apps = new Map<string, FakeApp>();
  /** App names taken by other organizations (invisible to us, but `name_taken` on create). */
  readonly foreignNames = new Set<string>();
  /**
   * How `POST .../lease` answers: `envelope` as real Fly does (the default), `bare` as the OpenAPI document
   * describes, `failed` as an envelope whose status is not success (a lease the client must release).
   */
  leaseReply: 'envelope' | 'bare' | 'failed' = 'envelope';
  /**
   * Where an exit event carries its exit code: `monitor` under `request.MonitorEvent.exit_event`, which
   * fly-go's `MachineRequest.GetExitCode` reads first (the default), or `top` under `request.exit_event`.
   */
  exitReply: 'monitor' | 'top' = 'monitor';
  private appSeq = 0;
  private machineSeq = 0;
  private eventSeq = 0;
  private closed = false;

  constructor(private readonly options: WorldOptions) {}

  createApp(name: string, org: string, network: string, idempotencyKey: string | undefined): FakeApp {
    this.appSeq += 1;
    const app: FakeApp = {
      id: hex(8),
      name,
      org,
      network,
      seq: this.appSeq,
      idempotencyKey,
      secrets: new Map(),
      secretsVersion: 0,
      ips: [],
      machines: new Map(),
    };
    this.apps.set(name, app);
    return app;
  }

  deleteApp(app: FakeApp): void {
    for (const machine of app.machines.values()) this.clearTimers(machine);
    this.apps.delete(app.name);
  }

  /** Sets (string) or unsets (null) secrets in one new version. */
  updateSecrets(app: FakeApp, values: Record<string, string | null>): number {
    const now = new Date().toISOString();
    for (const [name, value] of Object.entries(values)) {
      if (value === null) app.secrets.delete(name);
      else {
        const digest = createHash('sha256').update(value).digest('hex').slice(0, 16);
        app.secrets.set(name, { value, digest, createdAt: app.secrets.get(name)?.createdAt ?? now, updatedAt: now });
      }
    }
    app.secretsVersion += 1;
    return app.secretsVersion;
  }

  createMachine(app: FakeApp, input: { name: string; region: string; config: FlyMachineConfig; minSecretsVersion?: number; skipLaunch?: boolean }): FakeMachine {
    this.machineSeq += 1;
    const now = new Date().toISOString();
    const machine: FakeMachine = {
      id: hex(7),
      name: input.name,
      region: input.region,
      state: 'creating',
      config: input.config,
      version: newVersion(),
      privateIp: `fdaa:0:${app.seq.toString(16)}:a7b:${this.machineSeq.toString(16)}:${hex(2)}:0:2`,
      createdAt: now,
      updatedAt: now,
      events: [],
      checks: new Map(),
      lease: undefined,
      restartCount: 0,
      minSecretsVersion: input.minSecretsVersion,
      bootEnv: undefined,
      behavior: {},
      timers: new Set(),
      waiters: new Set(),
    };
    app.machines.set(machine.id, machine);
    this.later(machine, () => {
      this.setState(machine, 'created', 'launch', 'user');
      if (!input.skipLaunch) this.start(app, machine);
    });
    return machine;
  }

  start(app: FakeApp, machine: FakeMachine): void {
    this.setState(machine, 'starting');
    this.later(machine, () => this.boot(app, machine, 'start', 'user'));
  }

  stop(machine: FakeMachine): void {
    this.setState(machine, 'stopping');
    this.later(machine, () => {
      this.exit(machine, 0, false, true);
      this.setState(machine, 'stopped', 'stop', 'user');
    });
  }

  restart(app: FakeApp, machine: FakeMachine): void {
    this.setState(machine, 'restarting');
    this.later(machine, () => {
      this.exit(machine, 0, false, true);
      this.boot(app, machine, 'restart', 'user');
    });
  }

  update(app: FakeApp, machine: FakeMachine, config: FlyMachineConfig, minSecretsVersion: number | undefined): void {
    const wasRunning = machine.state === 'started' || machine.state === 'starting';
    machine.config = config;
    machine.version = newVersion();
    machine.minSecretsVersion = minSecretsVersion ?? machine.minSecretsVersion;
    this.setState(machine, 'updating', 'update', 'user');
    this.later(machine, () => (wasRunning ? this.boot(app, machine, 'start', 'flyd') : this.setState(machine, 'stopped')));
  }

  destroy(app: FakeApp, machine: FakeMachine): void {
    this.clearTimers(machine);
    this.setState(machine, 'destroying');
    this.later(machine, () => {
      this.setState(machine, 'destroyed', 'destroy', 'user');
      this.later(machine, () => app.machines.delete(machine.id), this.options.destroyedVisibleMs);
    });
  }

  /**
   * The main process exits with `exitCode`. Fly's restart policy decides what follows: `on-failure`
   * restarts non-zero exits up to `max_retries`, then the machine stays `final` (stopped or failed).
   */
  crash(app: FakeApp, machine: FakeMachine, exit: { exitCode: number; oomKilled: boolean; final?: 'stopped' | 'failed' }): void {
    if (machine.state !== 'started') return;
    this.exit(machine, exit.exitCode, exit.oomKilled, false);
    const policy = machine.config.restart?.policy ?? 'on-failure';
    const maxRetries = machine.config.restart?.max_retries ?? 10;
    const restart = policy === 'always' || (policy === 'on-failure' && exit.exitCode !== 0 && machine.restartCount < maxRetries);
    if (restart) {
      machine.restartCount += 1;
      this.setState(machine, 'starting');
      this.later(machine, () => this.boot(app, machine, 'restart', 'flyd'));
    } else {
      this.setState(machine, exit.final ?? 'stopped');
    }
  }

  setCheck(machine: FakeMachine, status: CheckState, name?: string): void {
    const names = name ? [name] : Object.keys(machine.config.checks ?? {});
    const now = new Date().toISOString();
    for (const check of names) machine.checks.set(check, { status, output: status === 'passing' ? 'OK' : 'connection refused', updatedAt: now });
  }

  /** The machine as the API shows it; `summary` leaves out config (but metadata), checks and events. */
  render(machine: FakeMachine, summary = false): FlyMachine {
    const checks = [...machine.checks].map(([name, check]) => ({ name, status: check.status, output: check.output, updated_at: check.updatedAt }));
    const events = [...machine.events].reverse().slice(0, 10);
    const base: FlyMachine = {
      id: machine.id,
      name: machine.name,
      state: machine.state,
      region: machine.region,
      version: machine.version,
      instance_id: machine.version,
      private_ip: machine.privateIp,
      created_at: machine.createdAt,
      updated_at: machine.updatedAt,
    };
    if (summary) return { ...base, config: { metadata: machine.config.metadata ?? {} } };
    return { ...base, config: machine.config, checks, events };
  }

  /** Stops every timer: nothing moves after the fake is closed. */
  close(): void {
    this.closed = true;
    for (const app of this.apps.values()) for (const machine of app.machines.values()) this.clearTimers(machine);
  }

  private boot(app: FakeApp, machine: FakeMachine, eventType: string, source: string): void {
    const process = machine.config.processes?.[0];
    const env: Record<string, string> = { ...machine.config.env, ...process?.env };
    if (!process?.ignore_app_secrets) for (const [name, secret] of app.secrets) env[name] = secret.value;
    for (const mapping of process?.secrets ?? []) {
      const secret = app.secrets.get(mapping.name ?? mapping.env_var);
      if (secret) env[mapping.env_var] = secret.value;
    }
    machine.bootEnv = env;
    this.setCheck(machine, machine.behavior.checkOnStart ?? this.options.initialCheckStatus);
    this.setState(machine, 'started', eventType, source);
    const crashAfter = machine.behavior.crashAfterStartMs;
    if (crashAfter !== undefined) {
      this.later(machine, () => this.crash(app, machine, { exitCode: machine.behavior.exitCode ?? 1, oomKilled: machine.behavior.oomKilled ?? false }), crashAfter);
    }
  }

  private exit(machine: FakeMachine, exitCode: number, oomKilled: boolean, requested: boolean): void {
    const exitEvent = { exit_code: exitCode, oom_killed: oomKilled, requested_stop: requested, exited_at: new Date().toISOString() };
    const where = this.exitReply === 'monitor' ? { MonitorEvent: { exit_event: exitEvent } } : { exit_event: exitEvent };
    this.addEvent(machine, 'exit', 'stopped', requested ? 'user' : 'flyd', { ...where, restart_count: machine.restartCount });
  }

  private setState(machine: FakeMachine, state: string, eventType?: string, source = 'flyd'): void {
    machine.state = state;
    machine.updatedAt = new Date().toISOString();
    if (eventType) this.addEvent(machine, eventType, state, source, undefined);
    for (const waiter of [...machine.waiters]) waiter();
  }

  private addEvent(machine: FakeMachine, type: string, status: string, source: string, request: FlyMachineEvent['request']): void {
    this.eventSeq += 1;
    const event: FlyMachineEvent = { id: `ev${this.eventSeq.toString().padStart(8, '0')}`, type, status, source, timestamp: Date.now() };
    if (request) event.request = request;
    machine.events.push(event);
    if (machine.events.length > 50) machine.events.shift();
  }

  private later(machine: FakeMachine, action: () => void, ms = this.options.transitionMs): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      machine.timers.delete(timer);
      action();
    }, ms);
    machine.timers.add(timer);
  }

  private clearTimers(machine: FakeMachine): void {
    for (const timer of machine.timers) clearTimeout(timer);
    machine.timers.clear();
  }
}
