import { ofetch } from 'ofetch';
import type { FlyCallObserver } from '../metrics/hangar-metrics.ts';
import type { Logger } from '../platform/logger.ts';
import { DriverError } from './driver.ts';
import { classifyFlyFailure, FlyError, isRateLimited, isTransient, readFlyStatus } from './fly-errors.ts';
import { FLY_ROUTES, fillPath, type FlyRouteId } from './fly-routes.ts';
import type {
  FlyApp,
  FlyCreateAppRequest,
  FlyCreateAppResponse,
  FlyCreateMachineRequest,
  FlyIpAssignment,
  FlyIpAssignmentList,
  FlyLease,
  FlyLeaseEnvelope,
  FlyMachine,
  FlyMachineEvent,
  FlySecretsUpdateResponse,
  FlyStopRequest,
  FlyUpdateMachineRequest,
  FlyWaitResponse,
  FlyWaitState,
} from './fly-types.ts';
import { flyAuthorization, readLease } from './fly-wire.ts';
import { TokenBucketLimiter } from './rate-limiter.ts';
import { retryWithBackoff } from '../platform/retry.ts';

export interface FlyClientOptions {
  /** `https://api.machines.dev` in production (config FLY_API_BASE_URL), the fake's URL in tests. */
  baseUrl: string;
  token: string;
  orgSlug: string;
  logger: Logger;
  /** Per-call timeout; `/wait` calls get their own server-side timeout plus this. */
  timeoutMs?: number;
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  limiter?: TokenBucketLimiter;
  random?: () => number;
  /** Counts every attempt by route and outcome (services.metrics). */
  metrics?: FlyCallObserver;
}

interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Statuses answered as values instead of errors (e.g. 408 from `/wait`). */
  accept?: number[];
}

interface CallResult<T> {
  status: number;
  data: T;
  headers: Headers;
  requestId: string | undefined;
}

const LEASE_NONCE = 'fly-machine-lease-nonce';

export { flyAuthorization, readLease };

/**
 * A typed client for the Fly Machines API: every call has a timeout, waits for its rate-limit token,
 * logs Fly's request id, and is retried with jittered backoff only where repeating is safe.
 */
export class FlyClient {
  private readonly authorization: string;
  private readonly limiter: TokenBucketLimiter;
  private readonly timeoutMs: number;
  private readonly retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };

  constructor(private readonly options: FlyClientOptions) {
    this.authorization = flyAuthorization(options.token);
    this.limiter = options.limiter ?? new TokenBucketLimiter();
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.retry = options.retry ?? { attempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };
  }

  /** Creates an app on its own private network; `idempotencyKey` makes a repeat return the same app. */
  async createApp(input: { name: string; network: string; idempotencyKey?: string }): Promise<FlyCreateAppResponse> {
    const body: FlyCreateAppRequest = { name: input.name, org_slug: this.options.orgSlug, network: input.network };
    if (input.idempotencyKey) body.idempotency_key = input.idempotencyKey;
    return (await this.call<FlyCreateAppResponse>('createApp', { body })).data;
  }

  /** Reads one app (404 is a `not_found` FlyError: also what another organization's app looks like). */
  async getApp(app: string): Promise<FlyApp> {
    return (await this.call<FlyApp>('getApp', { params: { app_name: app } })).data;
  }

  /** Deletes an app and, with `force`, every machine in it. */
  async deleteApp(app: string): Promise<void> {
    await this.call('deleteApp', { params: { app_name: app }, query: { force: true } });
  }

  /** Sets (string) or unsets (null) app secrets in one call; returns the new secrets version. */
  async updateSecrets(app: string, values: Record<string, string | null>): Promise<number | undefined> {
    const result = await this.call<FlySecretsUpdateResponse>('updateSecrets', { params: { app_name: app }, body: { values } });
    return result.data.version;
  }

  /** Lists the app's IP assignments. */
  async listIpAssignments(app: string): Promise<FlyIpAssignment[]> {
    return (await this.call<FlyIpAssignmentList>('listIpAssignments', { params: { app_name: app } })).data.ips ?? [];
  }

  /** Allocates a private (Flycast) IPv6 address on the app's own network: never a public address. */
  async assignPrivateIp(app: string, network: string): Promise<FlyIpAssignment> {
    const body = { type: 'private_v6', network, org_slug: this.options.orgSlug };
    return (await this.call<FlyIpAssignment>('assignIp', { params: { app_name: app }, body })).data;
  }

  /** Every machine of an app matching `metadata` (all pages, following `fly-next-cursor`). */
  async listMachines(app: string, filter: { metadata?: Record<string, string>; includeDeleted?: boolean } = {}): Promise<FlyMachine[]> {
    const machines: FlyMachine[] = [];
    let cursor: string | undefined;
    do {
      const query: CallOptions['query'] = { cursor, include_deleted: filter.includeDeleted };
      for (const [key, value] of Object.entries(filter.metadata ?? {})) query[`metadata.${key}`] = value;
      const page = await this.call<FlyMachine[]>('listMachines', { params: { app_name: app }, query });
      machines.push(...(Array.isArray(page.data) ? page.data : []));
      cursor = page.headers.get('fly-next-cursor') || undefined;
    } while (cursor);
    return machines;
  }

  /** Creates (and, unless `skip_launch`, starts) a machine. Never repeated after a 5xx or a timeout. */
  async createMachine(app: string, request: FlyCreateMachineRequest): Promise<FlyMachine> {
    return (await this.call<FlyMachine>('createMachine', { params: { app_name: app }, body: request })).data;
  }

  /** Reads one machine, with its check statuses and recent events. */
  async getMachine(app: string, machineId: string): Promise<FlyMachine> {
    return (await this.call<FlyMachine>('getMachine', { params: { app_name: app, machine_id: machineId } })).data;
  }

  /** Replaces a machine's config; a stale `current_version` is a `conflict` (409). */
  async updateMachine(app: string, machineId: string, request: FlyUpdateMachineRequest, leaseNonce?: string): Promise<FlyMachine> {
    const params = { app_name: app, machine_id: machineId };
    return (await this.call<FlyMachine>('updateMachine', { params, body: request, headers: nonceHeader(leaseNonce) })).data;
  }

  /** Starts a stopped machine (asynchronous: follow with waitForState). */
  async startMachine(app: string, machineId: string, leaseNonce?: string): Promise<void> {
    await this.call('startMachine', { params: { app_name: app, machine_id: machineId }, headers: nonceHeader(leaseNonce) });
  }

  /** Stops a machine with a signal and a grace timeout. */
  async stopMachine(app: string, machineId: string, request: FlyStopRequest = {}, leaseNonce?: string): Promise<void> {
    const params = { app_name: app, machine_id: machineId };
    await this.call('stopMachine', { params, body: request, headers: nonceHeader(leaseNonce) });
  }

  /** Restarts a machine; `timeout` is how long it gets to stop (a Go duration such as "10s"). */
  async restartMachine(app: string, machineId: string, input: { timeout?: string; leaseNonce?: string } = {}): Promise<void> {
    const params = { app_name: app, machine_id: machineId };
    await this.call('restartMachine', { params, query: { timeout: input.timeout }, headers: nonceHeader(input.leaseNonce) });
  }

  /**
   * Waits (server side, 1..60 s) for the machine to reach `state`. A 408 is an answer, not an error:
   * `{ ok: false }` means "not yet, poll again".
   */
  async waitForState(app: string, machineId: string, state: FlyWaitState, timeoutSeconds = 30): Promise<FlyWaitResponse> {
    const timeout = Math.min(60, Math.max(1, Math.round(timeoutSeconds)));
    const result = await this.call<FlyWaitResponse>('waitMachine', {
      params: { app_name: app, machine_id: machineId },
      query: { state, timeout },
      timeoutMs: timeout * 1000 + this.timeoutMs,
      accept: [408],
    });
    return result.status === 408 ? { ok: false } : { ok: true, ...result.data };
  }

  /** Destroys a machine; `force` kills it if it is still running. */
  async deleteMachine(app: string, machineId: string, force = true, leaseNonce?: string): Promise<void> {
    const params = { app_name: app, machine_id: machineId };
    await this.call('deleteMachine', { params, query: { force }, headers: nonceHeader(leaseNonce) });
  }

  /**
   * Takes the machine's lease for `ttlSeconds`; 409 (`conflict`) when someone else holds it. Reads real
   * Fly's envelope (`{status, data: {nonce, ...}}`) and the spec's bare lease alike. A lease that came back
   * unusable (an envelope that is not `success`) is released at once; one with no nonce cannot be
   * released and expires by itself: both are `transient` errors.
   */
  async acquireLease(app: string, machineId: string, ttlSeconds: number, description: string): Promise<FlyLease & { nonce: string }> {
    const params = { app_name: app, machine_id: machineId };
    const body = (await this.call<FlyLeaseEnvelope | FlyLease>('acquireLease', { params, body: { ttl: ttlSeconds, description } })).data;
    const read = readLease(body);
    if (read.lease?.nonce && read.usable) return { ...read.lease, nonce: read.lease.nonce };
    if (read.lease?.nonce) {
      await this.releaseLease(app, machineId, read.lease.nonce).catch((error: unknown) =>
        this.options.logger.warn({ fly: { route: 'releaseLease', app, machine: machineId, err: error } }, 'fly lease release failed; it expires by itself'),
      );
    }
    throw new DriverError('transient', 'Fly answered a lease Hangar cannot use');
  }

  /** Releases a lease this client holds (identified by its nonce). */
  async releaseLease(app: string, machineId: string, nonce: string): Promise<void> {
    await this.call('releaseLease', { params: { app_name: app, machine_id: machineId }, headers: { [LEASE_NONCE]: nonce } });
  }

  /** The machine's recent events, newest first (exit events carry exit code and OOM flag). */
  async listEvents(app: string, machineId: string, limit = 20): Promise<FlyMachineEvent[]> {
    const result = await this.call<FlyMachineEvent[]>('listEvents', { params: { app_name: app, machine_id: machineId }, query: { limit } });
    return Array.isArray(result.data) ? result.data : [];
  }

  private async call<T>(routeId: FlyRouteId, options: CallOptions): Promise<CallResult<T>> {
    const route = FLY_ROUTES[routeId];
    const params = options.params ?? {};
    const path = fillPath(route.path, params);
    const scopeKey = route.scope === 'org' ? this.options.orgSlug : route.scope === 'app' ? params.app_name : `${params.app_name}/${params.machine_id}`;
    return retryWithBackoff(
      async (attempt) => {
        await this.limiter.take(`${routeId}:${scopeKey}`, route.rule);
        return this.send<T>(routeId, path, options, attempt);
      },
      {
        ...this.retry,
        random: this.options.random,
        shouldRetry: (error) => isRateLimited(error) || (route.idempotent && isTransient(error)),
        onRetry: ({ error, attempt, delayMs }) =>
          this.options.logger.warn(
            { fly: { route: routeId, attempt, delayMs, status: (error as FlyError).status, requestId: (error as FlyError).requestId } },
            'fly call failed, retrying',
          ),
      },
    );
  }

  private async send<T>(routeId: FlyRouteId, path: string, options: CallOptions, attempt: number): Promise<CallResult<T>> {
    const route = FLY_ROUTES[routeId];
    const started = Date.now();
    const query = Object.fromEntries(Object.entries(options.query ?? {}).filter(([, value]) => value !== undefined));
    let response;
    try {
      response = await ofetch.raw<string, 'text'>(path, {
        baseURL: this.options.baseUrl,
        method: route.method,
        query,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        headers: {
          authorization: this.authorization,
          accept: 'application/json',
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        responseType: 'text',
        timeout: options.timeoutMs ?? this.timeoutMs,
        retry: false,
        ignoreResponseError: true,
      });
    } catch (error) {
      const failure = isTimeout(error) ? 'timeout' : 'network';
      this.options.metrics?.flyCall({ route: routeId, outcome: failure, failed: true, seconds: (Date.now() - started) / 1000 });
      this.options.logger.warn({ fly: { route: routeId, attempt, failure, ms: Date.now() - started } }, 'fly call got no answer');
      throw new FlyError('transient', routeId, undefined, undefined, undefined, failure);
    }
    const requestId = response.headers.get('fly-request-id') ?? undefined;
    const status = response.status;
    const data = parseJson(response._data);
    const failed = status >= 400 && !options.accept?.includes(status);
    this.options.metrics?.flyCall({ route: routeId, outcome: String(status), failed, seconds: (Date.now() - started) / 1000 });
    this.options.logger.debug({ fly: { route: routeId, status, requestId, attempt, ms: Date.now() - started } }, 'fly call');
    if (failed) {
      const flyStatus = readFlyStatus(data);
      throw new FlyError(classifyFlyFailure(status, flyStatus), routeId, status, flyStatus, requestId);
    }
    return { status, data: data as T, headers: response.headers, requestId };
  }
}

function nonceHeader(nonce: string | undefined): Record<string, string> {
  return nonce ? { [LEASE_NONCE]: nonce } : {};
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function isTimeout(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth += 1) {
    const name = (current as { name?: unknown }).name;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
