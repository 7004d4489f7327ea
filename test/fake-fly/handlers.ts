import { randomBytes } from 'node:crypto';
import type { FlyErrorStatus, FlyMachineConfig } from '../../api/machines/fly-types.ts';
import { isTransientState, type FakeApp, type FakeMachine, type FakeWorld } from './state.ts';

/** The Machines API semantics of each route the fake serves, on top of the in-memory world. */

export interface FakeRequest {
  world: FakeWorld;
  org: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  pageSize: number;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

/** An error in Fly's shape: `{ error, status }`. */
export function flyError(status: number, error: string, flyStatus: FlyErrorStatus = 'unknown'): FakeReply {
  return { status, body: { error, status: flyStatus } };
}

const APP_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function findApp(request: FakeRequest): FakeApp | FakeReply {
  const app = request.world.apps.get(request.params.app_name ?? '');
  return app && app.org === request.org ? app : flyError(404, 'app not found');
}

function findMachine(request: FakeRequest): { app: FakeApp; machine: FakeMachine } | FakeReply {
  const app = findApp(request);
  if ('status' in app) return app;
  const machine = app.machines.get(request.params.machine_id ?? '');
  return machine ? { app, machine } : flyError(404, 'machine not found');
}

/** 409 when another holder's lease is live and the request does not carry its nonce. */
function leaseBlocks(request: FakeRequest, machine: FakeMachine): FakeReply | undefined {
  const lease = machine.lease;
  if (!lease || lease.expiresAt <= Date.now()) return undefined;
  return request.headers['fly-machine-lease-nonce'] === lease.nonce ? undefined : flyError(409, 'machine is leased by another holder');
}

/** The machine, unless another holder's live lease blocks this request. */
function findUnleasedMachine(request: FakeRequest): { app: FakeApp; machine: FakeMachine } | FakeReply {
  const found = findMachine(request);
  return 'status' in found ? found : (leaseBlocks(request, found.machine) ?? found);
}

export const HANDLERS: Record<string, FakeHandler> = {
  'POST /v1/apps': ({ world, org, body }) => {
    const name = (body.name ?? body.app_name) as string | undefined;
    if (!name || !APP_NAME.test(name)) return flyError(400, 'invalid app name');
    if (body.org_slug !== org) return flyError(404, 'organization not found');
    const existing = world.apps.get(name);
    const key = body.idempotency_key as string | undefined;
    if (existing && key && existing.idempotencyKey === key) return { status: 201, body: { id: existing.id, created_at: Date.now() } };
    if (existing || world.foreignNames.has(name)) return flyError(422, 'app name is already taken', 'name_taken');
    const app = world.createApp(name, org, (body.network as string | undefined) || `${org}-default`, key);
    return { status: 201, body: { id: app.id, created_at: Date.now() } };
  },

  'GET /v1/apps/{app_name}': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    const body = { id: app.id, name: app.name, network: app.network, status: 'deployed', machine_count: app.machines.size, organization: { slug: app.org, name: app.org } };
    return { status: 200, body };
  },

  'DELETE /v1/apps/{app_name}': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    const force = request.query.get('force') === 'true';
    if (!force && [...app.machines.values()].some((m) => m.state !== 'destroyed')) return flyError(412, 'app has machines; use force');
    request.world.deleteApp(app);
    return { status: 202 };
  },

  'POST /v1/apps/{app_name}/secrets': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    const values = (request.body.values ?? {}) as Record<string, string | null>;
    if (Object.keys(values).some((name) => !SECRET_NAME.test(name))) return flyError(400, 'invalid secret name');
    const version = request.world.updateSecrets(app, values);
    const secrets = [...app.secrets].map(([name, s]) => ({ name, digest: s.digest, created_at: s.createdAt, updated_at: s.updatedAt }));
    return { status: 200, body: { version, secrets } };
  },

  'GET /v1/apps/{app_name}/ip_assignments': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    // As real Fly answers (fly-go's IPAssignment): no `network` on listed addresses.
    const ips = app.ips.map((ip) => ({ ip: ip.ip, created_at: ip.createdAt, shared: false }));
    return { status: 200, body: { ips } };
  },

  'POST /v1/apps/{app_name}/ip_assignments': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    if (request.body.type !== 'private_v6') return flyError(400, 'the fake only assigns private_v6 addresses');
    const network = (request.body.network as string | undefined) ?? app.network;
    const assigned = { ip: `fdaa:0:${app.seq.toString(16)}:0:1::${(app.ips.length + 2).toString(16)}`, network, createdAt: new Date().toISOString() };
    app.ips.push(assigned);
    return { status: 200, body: { ip: assigned.ip, created_at: assigned.createdAt, shared: false, network: { name: network, org_slug: app.org } } };
  },

  'GET /v1/apps/{app_name}/machines': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    const { query } = request;
    const filters = [...query.entries()].filter(([key]) => key.startsWith('metadata.')).map(([key, value]) => [key.slice(9), value] as const);
    const includeDeleted = query.get('include_deleted') === 'true';
    const matching = [...app.machines.values()].filter(
      (m) =>
        (includeDeleted || m.state !== 'destroyed') &&
        (!query.get('state') || m.state === query.get('state')) &&
        (!query.get('region') || m.region === query.get('region')) &&
        filters.every(([key, value]) => m.config.metadata?.[key] === value),
    );
    const offset = query.get('cursor') ? Number(Buffer.from(query.get('cursor')!, 'base64url').toString()) : 0;
    const limit = Math.min(request.pageSize, Number(query.get('limit') ?? request.pageSize) || request.pageSize);
    const page = matching.slice(offset, offset + limit);
    const headers: Record<string, string> = {};
    if (offset + limit < matching.length) headers['fly-next-cursor'] = Buffer.from(String(offset + limit)).toString('base64url');
    return { status: 200, headers, body: page.map((m) => request.world.render(m, query.get('summary') === 'true')) };
  },

  'POST /v1/apps/{app_name}/machines': (request) => {
    const app = findApp(request);
    if ('status' in app) return app;
    const body = request.body as { name?: string; region?: string; config?: FlyMachineConfig; min_secrets_version?: number; skip_launch?: boolean };
    if (!body.config?.image) return flyError(400, 'config.image is required');
    const name = body.name ?? `machine-${randomBytes(4).toString('hex')}`;
    if ([...app.machines.values()].some((m) => m.name === name && m.state !== 'destroyed' && m.state !== 'destroying')) {
      return flyError(409, 'a machine with this name already exists');
    }
    if (body.min_secrets_version !== undefined && body.min_secrets_version > app.secretsVersion) {
      return flyError(400, 'min_secrets_version is newer than the app secrets');
    }
    const machine = request.world.createMachine(app, {
      name,
      region: body.region ?? 'iad',
      config: body.config,
      minSecretsVersion: body.min_secrets_version,
      skipLaunch: body.skip_launch,
    });
    return { status: 200, body: request.world.render(machine) };
  },

  'GET /v1/apps/{app_name}/machines/{machine_id}': (request) => {
    const found = findMachine(request);
    return 'status' in found ? found : { status: 200, body: request.world.render(found.machine) };
  },

  'POST /v1/apps/{app_name}/machines/{machine_id}': (request) => {
    const found = findUnleasedMachine(request);
    if ('status' in found) return found;
    const { app, machine } = found;
    const body = request.body as { config?: FlyMachineConfig; current_version?: string; min_secrets_version?: number };
    if (body.current_version && body.current_version !== machine.version) return flyError(409, 'machine version is stale (current_version mismatch)');
    if (!body.config?.image) return flyError(400, 'config.image is required');
    if (machine.state === 'destroyed' || machine.state === 'destroying') return flyError(412, 'machine is being destroyed');
    if (body.min_secrets_version !== undefined && body.min_secrets_version > app.secretsVersion) {
      return flyError(400, 'min_secrets_version is newer than the app secrets');
    }
    request.world.update(app, machine, body.config, body.min_secrets_version);
    return { status: 200, body: request.world.render(machine) };
  },

  'DELETE /v1/apps/{app_name}/machines/{machine_id}': (request) => {
    const found = findUnleasedMachine(request);
    if ('status' in found) return found;
    const force = request.query.get('force') === 'true' || request.query.get('kill') === 'true';
    const { state } = found.machine;
    if (state === 'destroying' || state === 'destroyed') return { status: 200, body: { ok: true } };
    if (!force && state !== 'stopped' && state !== 'created' && state !== 'failed') return flyError(412, 'machine is still active; stop it or use force');
    request.world.destroy(found.app, found.machine);
    return { status: 200, body: { ok: true } };
  },

  'POST /v1/apps/{app_name}/machines/{machine_id}/start': (request) => {
    const found = findUnleasedMachine(request);
    if ('status' in found) return found;
    const previous = found.machine.state;
    if (['stopped', 'created', 'failed', 'suspended'].includes(previous)) request.world.start(found.app, found.machine);
    else if (previous === 'destroyed' || previous === 'destroying') return flyError(412, 'machine is destroyed');
    return { status: 200, body: { previous_state: previous } };
  },

  'POST /v1/apps/{app_name}/machines/{machine_id}/stop': (request) => {
    const found = findUnleasedMachine(request);
    if ('status' in found) return found;
    if (found.machine.state === 'started') request.world.stop(found.machine);
    else if (found.machine.state === 'destroyed') return flyError(412, 'machine is destroyed');
    return { status: 200, body: { ok: true } };
  },

  'POST /v1/apps/{app_name}/machines/{machine_id}/restart': (request) => {
    const found = findUnleasedMachine(request);
    if ('status' in found) return found;
    if (found.machine.state !== 'started') return flyError(412, 'machine is not started');
    request.world.restart(found.app, found.machine);
    return { status: 200, body: { ok: true } };
  },

  'GET /v1/apps/{app_name}/machines/{machine_id}/wait': async (request) => {
    const found = findMachine(request);
    if ('status' in found) return found;
    const { machine } = found;
    const want = request.query.get('state') ?? 'started';
    const timeout = Number(request.query.get('timeout') ?? 60);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60) return flyError(400, 'timeout must be between 1 and 60 seconds');
    const reached = (): boolean => (want === 'settled' ? !isTransientState(machine.state) : machine.state === want);
    if (!reached()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeout * 1000);
        function done(): void {
          clearTimeout(timer);
          machine.waiters.delete(check);
          resolve();
        }
        function check(): void {
          if (reached()) done();
        }
        machine.waiters.add(check);
      });
    }
    if (!reached()) return flyError(408, `machine did not reach ${want} in time`);
    return { status: 200, body: { ok: true, state: machine.state, version: machine.version } };
  },

  'POST /v1/apps/{app_name}/machines/{machine_id}/lease': (request) => {
    const found = findUnleasedMachine(request);
    if ('status' in found) return found;
    const { machine } = found;
    // fly-go sends the TTL as `?ttl=`; the spec puts it in the body. Accept both.
    const queryTtl = Number(request.query.get('ttl'));
    const ttl = typeof request.body.ttl === 'number' && request.body.ttl > 0 ? request.body.ttl : queryTtl > 0 ? queryTtl : 30;
    const nonce = machine.lease && machine.lease.expiresAt > Date.now() ? machine.lease.nonce : randomBytes(8).toString('hex');
    machine.lease = { nonce, owner: 'hangar@fake', description: String(request.body.description ?? ''), expiresAt: Date.now() + ttl * 1000 };
    // Real Fly answers an envelope (fly-go machine_types.go MachineLease{Status, Data}), not the spec's bare Lease.
    const data = { nonce, expires_at: Math.floor(machine.lease.expiresAt / 1000), owner: machine.lease.owner, version: machine.version };
    if (request.world.leaseReply === 'bare') return { status: 201, body: { ...data, description: machine.lease.description } };
    if (request.world.leaseReply === 'failed') return { status: 200, body: { status: 'error', data, message: 'lease not usable', code: 'lease_error' } };
    return { status: 200, body: { status: 'success', data } };
  },

  'DELETE /v1/apps/{app_name}/machines/{machine_id}/lease': (request) => {
    const found = findMachine(request);
    if ('status' in found) return found;
    const { machine } = found;
    if (!machine.lease || machine.lease.expiresAt <= Date.now()) return flyError(404, 'no lease');
    if (request.headers['fly-machine-lease-nonce'] !== machine.lease.nonce) return flyError(409, 'lease nonce mismatch');
    machine.lease = undefined;
    return { status: 200, body: { ok: true } };
  },

  'GET /v1/apps/{app_name}/machines/{machine_id}/events': (request) => {
    const found = findMachine(request);
    if ('status' in found) return found;
    const limit = Number(request.query.get('limit') ?? 20) || 20;
    return { status: 200, body: [...found.machine.events].reverse().slice(0, limit) };
  },
};

