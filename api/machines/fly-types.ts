/**
 * Wire shapes of the Fly Machines API calls Hangar makes, written by hand from the OpenAPI spec
 * (../shared/reference/fly-machines-openapi.json, schema names in brackets). Only the fields Hangar reads
 * or writes are typed; every response field is optional, as in the spec.
 */

/** [main.statusCode] The machine-readable `status` of Fly's error body. */
export type FlyErrorStatus = 'unknown' | 'insufficient_capacity' | 'volume_placement_capacity' | 'name_taken';

/** [ErrorResponse] */
export interface FlyErrorBody {
  error?: string;
  status?: FlyErrorStatus;
}

/** [CreateAppRequest] `idempotency_key` makes a retried create return the first app. */
export interface FlyCreateAppRequest {
  name: string;
  org_slug: string;
  network: string;
  idempotency_key?: string;
}

/** [CreateAppResponse] */
export interface FlyCreateAppResponse {
  id?: string;
  created_at?: number;
}

/** [App] */
export interface FlyApp {
  id?: string;
  name?: string;
  network?: string;
  status?: string;
  machine_count?: number;
  organization?: { slug?: string; name?: string };
}

/** [AppSecretsUpdateRequest] A `null` value unsets the secret (the spec's description: "or nil to unset"). */
export interface FlySecretsUpdateRequest {
  values: Record<string, string | null>;
}

/** [AppSecretsUpdateResp] Secret values never come back; only names, digests and the new version. */
export interface FlySecretsUpdateResponse {
  version?: number;
  secrets?: Array<{ name?: string; digest?: string; created_at?: string; updated_at?: string }>;
}

/** [assignIPRequest] */
export interface FlyAssignIpRequest {
  type: 'private_v6';
  network: string;
  org_slug?: string;
}

/** [IPAssignment] / [AssignIPResponse] */
export interface FlyIpAssignment {
  ip?: string;
  created_at?: string;
  region?: string;
  shared?: boolean;
  network?: { name?: string; org_slug?: string } | null;
}

/** [listIPAssignmentsResponse] */
export interface FlyIpAssignmentList {
  ips?: FlyIpAssignment[];
}

/** [fly.MachineCheck] Durations are Go duration strings ("15s"). */
export interface FlyMachineCheck {
  type: 'http' | 'tcp';
  port: number;
  path?: string;
  method?: string;
  protocol?: 'http' | 'https';
  interval?: string;
  timeout?: string;
  grace_period?: string;
  kind?: 'informational' | 'readiness';
}

/** [fly.MachineSecret] Maps the app secret `name` to the environment variable `env_var` in the machine. */
export interface FlyMachineSecret {
  env_var: string;
  name?: string;
}

/** [fly.MachineProcess] */
export interface FlyMachineProcess {
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  ignore_app_secrets?: boolean;
  secrets?: FlyMachineSecret[];
}

export type FlySignal = 'SIGHUP' | 'SIGINT' | 'SIGQUIT' | 'SIGKILL' | 'SIGUSR1' | 'SIGUSR2' | 'SIGTERM';

/** [fly.MachineConfig] The fields Hangar sets; an update replaces the whole config. */
export interface FlyMachineConfig {
  image: string;
  env?: Record<string, string>;
  guest?: { cpu_kind: 'shared' | 'performance'; cpus: number; memory_mb: number };
  init?: { cmd?: string[]; entrypoint?: string[]; exec?: string[] };
  processes?: FlyMachineProcess[];
  restart?: { policy: 'no' | 'always' | 'on-failure'; max_retries?: number };
  checks?: Record<string, FlyMachineCheck>;
  stop_config?: { signal?: FlySignal; timeout?: string };
  metadata?: Record<string, string>;
  services?: unknown[];
  auto_destroy?: boolean;
}

/** [CreateMachineRequest] No idempotency key exists: a deterministic `name` plus metadata stand in. */
export interface FlyCreateMachineRequest {
  name: string;
  region: string;
  config: FlyMachineConfig;
  min_secrets_version?: number;
  skip_launch?: boolean;
}

/** [UpdateMachineRequest] `current_version` makes a lost update a 409. */
export interface FlyUpdateMachineRequest {
  config: FlyMachineConfig;
  current_version?: string;
  min_secrets_version?: number;
  region?: string;
}

/** [CheckStatus] */
export interface FlyCheckStatus {
  name?: string;
  status?: string;
  output?: string;
  updated_at?: string;
}

/** A machine's exit as fly-go's `MachineExitEvent` decodes it. */
export interface FlyExitEvent {
  exit_code?: number;
  oom_killed?: boolean;
  exited_at?: string;
  requested_stop?: boolean;
}

/**
 * [MachineEvent] Exit events carry `request.restart_count` and the exit under `request.MonitorEvent.exit_event`
 * or `request.exit_event` (fly-go's `MachineRequest.GetExitCode` reads the first, then the second).
 */
export interface FlyMachineEvent {
  id?: string;
  type?: string;
  status?: string;
  source?: string;
  /** Milliseconds since the epoch. */
  timestamp?: number;
  request?: {
    exit_event?: FlyExitEvent;
    MonitorEvent?: { exit_event?: FlyExitEvent };
    restart_count?: number;
    [key: string]: unknown;
  };
}

/** [Machine] */
export interface FlyMachine {
  id?: string;
  name?: string;
  state?: string;
  region?: string;
  version?: string;
  instance_id?: string;
  private_ip?: string;
  config?: Partial<FlyMachineConfig>;
  checks?: FlyCheckStatus[];
  events?: FlyMachineEvent[];
  created_at?: string;
  updated_at?: string;
}

/** [StopRequest] */
export interface FlyStopRequest {
  signal?: FlySignal;
  timeout?: string;
}

/** The `state` query of `/wait`. */
export type FlyWaitState = 'started' | 'stopped' | 'suspended' | 'destroyed' | 'failed' | 'settled';

/** [WaitMachineResponse] */
export interface FlyWaitResponse {
  ok?: boolean;
  state?: string;
  version?: string;
  event_id?: string;
}

/** [CreateLeaseRequest] `ttl` in seconds. */
export interface FlyCreateLeaseRequest {
  ttl: number;
  description?: string;
}

/**
 * [Lease] The bare lease the OpenAPI document describes. Real Fly wraps it in an envelope (FlyLeaseEnvelope);
 * `FlyClient.acquireLease` reads both and always returns this shape.
 */
export interface FlyLease {
  nonce?: string;
  owner?: string;
  description?: string;
  expires_at?: number;
  version?: string;
}

/**
 * What real Fly answers to `POST .../lease` (fly-go `machine_types.go`: `MachineLease{Status, Data
 * *MachineLeaseData, Message, Code}`), unlike the spec's bare `Lease`.
 */
export interface FlyLeaseEnvelope {
  status?: string;
  data?: FlyLease | null;
  message?: string;
  code?: string;
}

/** [MachineStartResponse] in fly-go; the spec has no schema for it. */
export interface FlyStartResponse {
  message?: string;
  status?: string;
  previous_state?: string;
}
