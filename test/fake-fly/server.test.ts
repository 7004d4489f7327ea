import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FLY_ROUTES } from '../../api/machines/fly-routes.ts';
import { buildMachineConfig } from '../../api/machines/machine-config.ts';
import { HANDLERS } from './handlers.ts';
import { eventually, samplePlan, TEST_IMAGE, TEST_TOKEN } from './harness.ts';
import { DEFAULT_SPEC_PATH, OpenApiContract } from './openapi-contract.ts';
import { FakeFlyServer } from './server.ts';

const contract = new OpenApiContract();
if (!contract.available) console.warn(contract.unavailableReason);

let fake: FakeFlyServer;

beforeEach(async () => {
  fake = await FakeFlyServer.start({ token: TEST_TOKEN, rateLimits: false });
});

afterEach(async () => {
  await fake.close();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; requestId: string | null }> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, requestId: res.headers.get('fly-request-id') };
}

function config(): ReturnType<typeof buildMachineConfig> {
  return buildMachineConfig(samplePlan(), { runnerImage: TEST_IMAGE, hangarVersion: '0.1.0' });
}

async function appWithMachine(): Promise<{ app: string; id: string }> {
  expect((await call('POST', '/v1/apps', { app_name: 'hangar-t1', org_slug: fake.orgSlug, network: 'hangar-t1-net' })).status).toBe(201);
  const created = await call('POST', '/v1/apps/hangar-t1/machines', { name: 'm1', region: 'iad', config: config() });
  expect(created.status).toBe(200);
  return { app: 'hangar-t1', id: (created.body as { id: string }).id };
}

describe('the contract check', () => {
  it.skipIf(!contract.available)('every route the client calls is served by the fake and present in the spec', () => {
    for (const route of Object.values(FLY_ROUTES)) {
      expect(HANDLERS[`${route.method} ${route.path}`], `${route.method} ${route.path} served by the fake`).toBeDefined();
      expect(contract.has(route.method, route.path), `${route.method} ${route.path} in the spec`).toBe(true);
    }
    for (const key of Object.keys(HANDLERS)) {
      const [method, path] = key.split(' ') as [string, string];
      expect(contract.has(method, path), `${key} in the spec`).toBe(true);
    }
  });

  it.skipIf(!contract.available)('answers 400 and records a violation for a request the real API would reject', async () => {
    await call('POST', '/v1/apps', { name: 'hangar-t2', org_slug: fake.orgSlug, network: 'n' });
    const bad = { name: 'm', region: 'iad', min_secret_version: 1, config: { ...config(), guest: { cpu_kind: 'shared', cpus: 'one', memory_mb: 256 } } };
    const answer = await call('POST', '/v1/apps/hangar-t2/machines', bad);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 'unknown' });
    expect(fake.violations).toEqual([
      {
        method: 'POST',
        path: '/v1/apps/hangar-t2/machines',
        issues: ['body must NOT have additional properties: "min_secret_version"', 'body/config/guest/cpus must be integer'],
      },
    ]);
    expect(fake.machines('hangar-t2')).toHaveLength(0);
  });

  it.skipIf(!contract.available)('checks query and header parameters and unknown paths', async () => {
    const { app, id } = await appWithMachine();
    expect((await call('GET', `/v1/apps/${app}/machines?limit=many&colour=red`)).status).toBe(400);
    expect((await call('DELETE', `/v1/apps/${app}/machines/${id}/lease`)).status).toBe(400);
    expect((await call('GET', `/v1/apps/${app}/machines/${id}/wait?state=running`)).status).toBe(400);
    expect((await call('GET', '/v1/nothing/here')).status).toBe(400);
    expect(fake.violations.map((v) => v.issues)).toEqual([
      ['query parameter "limit"="many" must be integer', 'query parameter "colour" is not declared for GET /v1/apps/{app_name}/machines'],
      ['header parameter "fly-machine-lease-nonce" is required'],
      ['query parameter "state"="running" must be equal to one of the allowed values'],
      ['no path /v1/nothing/here in the spec'],
    ]);
  });

  it.skipIf(!contract.available)('accepts what the real API accepts beyond the schema: app_name, integer durations, kill, force, null to unset', async () => {
    const { app, id } = await appWithMachine();
    const nanos = { ...config(), checks: { runner: { type: 'http', port: 8080, path: '/healthz', interval: 15_000_000_000, timeout: 5_000_000_000 } } };
    expect((await call('POST', `/v1/apps/${app}/machines`, { name: 'm2', region: 'iad', config: nanos })).status).toBe(200);
    expect((await call('POST', `/v1/apps/${app}/secrets`, { values: { A: 'x', B: null } })).status).toBe(200);
    expect((await call('DELETE', `/v1/apps/${app}/machines/${id}?kill=true`)).status).toBe(200);
    expect((await call('DELETE', `/v1/apps/${app}?force=true`)).status).toBe(202);
    expect(fake.violations).toEqual([]);
  });

  it('says plainly when the spec is absent, and the fake still serves', async () => {
    const missing = new OpenApiContract('/nonexistent/fly-machines-openapi.json');
    expect(missing.available).toBe(false);
    expect(missing.unavailableReason).toBe(
      'Fly OpenAPI spec not found at /nonexistent/fly-machines-openapi.json: requests to the fake Fly API are NOT checked against the contract',
    );
    const bare = await FakeFlyServer.start({ specPath: '/nonexistent/fly-machines-openapi.json' });
    try {
      const res = await fetch(`${bare.url}/v1/apps`, {
        method: 'POST',
        headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'hangar-t3', org_slug: bare.orgSlug, network: 'n' }),
      });
      expect(res.status).toBe(201);
    } finally {
      await bare.close();
    }
    expect(DEFAULT_SPEC_PATH.endsWith('/shared/reference/fly-machines-openapi.json')).toBe(true);
  });
});

describe('the fake Machines API', () => {
  it('puts fly-request-id on every answer, errors in Fly\'s shape, and refuses bad authorization', async () => {
    const missing = await call('GET', '/v1/apps/nope');
    expect([missing.status, missing.body]).toEqual([404, { error: 'app not found', status: 'unknown' }]);
    expect(missing.requestId).toMatch(/^01[0-9a-f]{24}$/);
    expect((await call('GET', '/v1/apps/nope', undefined, { authorization: 'Token abc' })).status).toBe(401);
  });

  it('moves machines through transient states asynchronously, then 404s a destroyed one', async () => {
    const { app, id } = await appWithMachine();
    const states = new Set<string>();
    await eventually(
      async () => ((await call('GET', `/v1/apps/${app}/machines/${id}`)).body as { state: string }).state,
      (state) => (states.add(state), state === 'started'),
    );
    expect(fake.machines(app)[0]!.events.map((e) => e.type)).toEqual(['launch', 'start']);
    expect((await call('DELETE', `/v1/apps/${app}/machines/${id}`)).status).toBe(412);
    expect((await call('DELETE', `/v1/apps/${app}/machines/${id}?force=true`)).status).toBe(200);
    await eventually(() => call('GET', `/v1/apps/${app}/machines/${id}`), (r) => r.status === 404);
  });

  it('restarts a crashed machine per its restart policy, then leaves it stopped after max_retries', async () => {
    const { app, id } = await appWithMachine();
    await eventually(() => fake.machines(app)[0]!.state, (s) => s === 'started');
    fake.setBehavior(app, id, { crashAfterStartMs: 5, exitCode: 3 });
    fake.crash(app, id, { exitCode: 3 });
    const machine = await eventually(() => fake.machines(app)[0]!, (m) => m.state === 'stopped');
    expect(machine.restartCount).toBe(3);
    const exits = machine.events.filter((e) => e.type === 'exit');
    expect(exits).toHaveLength(4);
    expect(exits[3]!.request).toMatchObject({ MonitorEvent: { exit_event: { exit_code: 3, oom_killed: false } }, restart_count: 3 });
  });

  it('lets a test turn checks critical, and shows them in GET', async () => {
    const { app, id } = await appWithMachine();
    await eventually(() => fake.machines(app)[0]!.state, (s) => s === 'started');
    fake.setCheck(app, id, 'critical');
    const body = (await call('GET', `/v1/apps/${app}/machines/${id}`)).body as { checks: Array<{ name: string; status: string }> };
    expect(body.checks.map((c) => [c.name, c.status])).toEqual([['runner', 'critical']]);
  });

  it('boots a machine with only its own mapped secrets (ignore_app_secrets)', async () => {
    await call('POST', '/v1/apps', { name: 'hangar-t4', org_slug: fake.orgSlug, network: 'n4' });
    const plan = samplePlan();
    const secrets = { DEP_0123456789ABCDEF_GITHUB_TOKEN: 'gh-canary', DEP_0123456789ABCDEF_HANGAR_RUNNER_TOKEN: 'rt-canary', DEP_OTHER_GITHUB_TOKEN: 'other' };
    const version = ((await call('POST', '/v1/apps/hangar-t4/secrets', { values: secrets })).body as { version: number }).version;
    const cfg = buildMachineConfig(plan, { runnerImage: TEST_IMAGE, hangarVersion: '0.1.0' });
    await call('POST', '/v1/apps/hangar-t4/machines', { name: 'm', region: 'iad', config: cfg, min_secrets_version: version });
    const machine = await eventually(() => fake.machines('hangar-t4')[0]!, (m) => m.state === 'started');
    expect(machine.bootEnv).toEqual({ LOG_LEVEL: 'info', HANGAR_RUNNER_SECRET_NAMES: 'HANGAR_RUNNER_TOKEN,GITHUB_TOKEN', GITHUB_TOKEN: 'gh-canary', HANGAR_RUNNER_TOKEN: 'rt-canary' });
  });

  it('answers name_taken for a name another organization holds, and hides that app', async () => {
    fake.reserveAppName('hangar-taken');
    const taken = await call('POST', '/v1/apps', { name: 'hangar-taken', org_slug: fake.orgSlug, network: 'n' });
    expect([taken.status, taken.body]).toEqual([422, { error: 'app name is already taken', status: 'name_taken' }]);
    expect((await call('GET', '/v1/apps/hangar-taken')).status).toBe(404);
  });

  it('counts calls per route', async () => {
    await appWithMachine();
    expect(fake.callCount('POST /v1/apps')).toBe(1);
    expect(fake.callCount('POST /v1/apps/{app_name}/machines')).toBe(1);
    expect(fake.totalCalls()).toBe(2);
  });
});
