import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { createFlyHarness } from '../../test/fake-fly/harness.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { FlyError } from '../machines/fly-errors.ts';
import { HangarMetrics } from './hangar-metrics.ts';
import { parseExposition, sampleValue, type Exposition } from './parse-exposition.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld({ env: { METRICS_TOKEN: TOKEN, HANGAR_RATE_LIMIT_PER_MINUTE: '3' } });
});
afterAll(async () => {
  await world.close();
});

async function scrape(): Promise<Exposition> {
  const res = await world.hangar.request('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

describe('GET /metrics', () => {
  it('refuses a missing or wrong token with 401 and the error shape, and serves the right one', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: TOKEN }];
    for (const headers of attempts) {
      const res = await world.hangar.request('/metrics', { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    }
    const parsed = await scrape();
    expect(sampleValue(parsed, 'hangar_build_info', { version: '0.1.0' })).toBe(1);
    expect(sampleValue(parsed, 'hangar_database_up')).toBe(1);
    expect(sampleValue(parsed, 'process_memory_bytes', { kind: 'rss' })).toBeGreaterThan(0);
  });

  it('counts requests by route pattern and status, never by raw URL, and 429s as rate-limit rejections', async () => {
    const user = await signUpUser(world.hangar);
    const id = 'dep_00000000000000000000';
    for (let i = 0; i < 5; i += 1) await world.hangar.request(`/v1/deployments/${id}`, { headers: user.keyHeaders });
    await world.hangar.request('/v1/no/such/route/dep_secretlooking');
    const parsed = await scrape();
    const routes = new Set(parsed.samples.filter((s) => s.name === 'hangar_http_requests_total').map((s) => s.labels.route));
    expect([...routes].some((r) => r?.includes(id) || r?.includes('secretlooking'))).toBe(false);
    expect(routes.has('/v1/deployments/:id')).toBe(true);
    // Limit 3 per minute per key: three 404s (not yours or missing), then two 429s.
    expect(sampleValue(parsed, 'hangar_http_requests_total', { method: 'GET', route: '/v1/deployments/:id', status: '404' })).toBe(3);
    expect(sampleValue(parsed, 'hangar_http_requests_total', { method: 'GET', route: '/v1/deployments/:id', status: '429' })).toBe(2);
    expect(sampleValue(parsed, 'hangar_rate_limited_total', { route: '/v1/deployments/:id' })).toBe(2);
    expect(sampleValue(parsed, 'hangar_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sampleValue(parsed, 'hangar_http_request_duration_seconds_count', { method: 'GET', route: '/v1/deployments/:id', status: '404' })).toBe(3);
    expect(sampleValue(parsed, 'hangar_http_requests_in_flight')).toBe(1); // the scrape itself
  });

  it('reports deployments by state, reconciler passes, claims, moves and backlog', async () => {
    const before = await scrape();
    const passesBefore = sampleValue(before, 'hangar_reconciler_pass_duration_seconds_count') ?? 0;
    const res = await world.hangar.request(
      `/v1/teams/${world.owner.team.id}/deployments`,
      jsonInit('POST', world.owner.keyHeaders, { name: 'metered', package: `npm:${TEST_PACKAGE}@1.1.0` }),
    );
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const pending = await scrape();
    expect(sampleValue(pending, 'hangar_deployments', { state: 'pending' })).toBe(1);
    expect(sampleValue(pending, 'hangar_deployments', { state: 'running' })).toBe(0);
    expect(sampleValue(pending, 'hangar_reconciler_backlog')).toBe(1);

    const passes = await world.settle(async () => (await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } })).state === 'running');
    const after = await scrape();
    expect(sampleValue(after, 'hangar_deployments', { state: 'running' })).toBe(1);
    expect(sampleValue(after, 'hangar_deployments', { state: 'pending' })).toBe(0);
    expect(sampleValue(after, 'hangar_reconciler_backlog')).toBe(0);
    expect(sampleValue(after, 'hangar_reconciler_pass_duration_seconds_count')).toBe(passesBefore + passes.length);
    const claimed = passes.reduce((n, p) => n + p.claimed, 0);
    expect(sampleValue(after, 'hangar_reconciler_claimed_total')).toBe(claimed);
    expect(sampleValue(after, 'hangar_reconciler_moves_total', { move: 'create' })).toBe(1);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  let hangar: TestHangar;
  beforeAll(async () => {
    hangar = await createTestHangar();
  });
  afterAll(async () => {
    await hangar.dispose();
  });

  it('does not exist: 404 with the same body as an unknown route, whatever is presented', async () => {
    const unknown = (await (await hangar.request('/no-such-route')).json()) as { error: { code: string; message: string } };
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer anything-at-all-0123456789' }];
    for (const headers of attempts) {
      const res = await hangar.request('/metrics', { headers });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ code: body.error.code, message: body.error.message }).toEqual({ code: unknown.error.code, message: unknown.error.message });
    }
  });
});

describe('Fly API call metrics', () => {
  it('counts every attempt by route and status, and failures as errors', async () => {
    const metrics = new HangarMetrics({ version: 'test' });
    const fly = await createFlyHarness({ client: { metrics } });
    try {
      await fly.client.createApp({ name: 'metrics-app', network: 'metrics-app-net' });
      await fly.client.getApp('metrics-app');
      await expect(fly.client.getApp('no-such-app')).rejects.toBeInstanceOf(FlyError);
      const parsed = parseExposition(metrics.registry.render());
      const created = parsed.samples.filter((s) => s.name === 'hangar_fly_api_requests_total' && s.labels.route === 'createApp');
      expect(created).toHaveLength(1);
      expect(Number(created[0]!.labels.status)).toBeLessThan(300);
      expect(sampleValue(parsed, 'hangar_fly_api_requests_total', { route: 'getApp', status: '200' })).toBe(1);
      expect(sampleValue(parsed, 'hangar_fly_api_requests_total', { route: 'getApp', status: '404' })).toBe(1);
      expect(sampleValue(parsed, 'hangar_fly_api_errors_total', { route: 'getApp', status: '404' })).toBe(1);
      expect(sampleValue(parsed, 'hangar_fly_api_errors_total', { route: 'getApp', status: '200' })).toBeUndefined();
      expect(sampleValue(parsed, 'hangar_fly_api_request_duration_seconds_count', { route: 'getApp' })).toBe(2);
    } finally {
      await fly.close();
    }
  });

  it('counts a call Fly never answered as a network error', async () => {
    const metrics = new HangarMetrics({ version: 'test' });
    const fly = await createFlyHarness({ client: { metrics, baseUrl: 'http://127.0.0.1:9', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } } });
    try {
      await expect(fly.client.getApp('any')).rejects.toBeInstanceOf(FlyError);
      const parsed = parseExposition(metrics.registry.render());
      expect(sampleValue(parsed, 'hangar_fly_api_errors_total', { route: 'getApp', status: 'network' })).toBe(1);
    } finally {
      await fly.close();
    }
  });
});
