import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit } from '../accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../deployments-harness.ts';
import { Rng, fuzzSeed } from './rng.ts';
import { MisbehavingRunner, socketBehaviour, type SocketOutcome } from './socket-behaviours.ts';

/**
 * Socket behaviours against every streaming route of a real Hangar served over real HTTP: half bodies,
 * resets mid-request and mid-stream, slow bodies, clients leaving SSE streams, upstreams that reset or
 * answer something that is not MCP. Nothing may end the process (every uncaught exception or unhandled
 * rejection is collected), no answer may be an undesigned 5xx, no stream slot may leak, and Hangar must
 * answer `/healthz` and a normal MCP call afterwards. `npm run test:soak` sets SOCKET_ROUNDS higher.
 */
const ROUNDS = Number(process.env.SOCKET_ROUNDS ?? 300);
const CONCURRENCY = 4;
const SEED = fuzzSeed();
const PER_KEY = 6;
const PER_DEPLOYMENT = 10;
/** 5xx answers that are designed: the stand-in runner failed on purpose. */
const DESIGNED = new Set(['deployment_unreachable', 'deployment_bad_response']);

let world: DeploymentWorld;
let runner: MisbehavingRunner;
let server: Server;
let port: number;
let depId: string;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  world = await createDeploymentWorld({
    env: { HANGAR_MCP_STREAMS_PER_KEY: String(PER_KEY), HANGAR_MCP_STREAMS_PER_DEPLOYMENT: String(PER_DEPLOYMENT), LOG_LEVEL: 'warn' },
  });
  runner = await MisbehavingRunner.start();
  const res = await world.deploy(world.owner, { name: 'sockets', package: `npm:${TEST_PACKAGE}` });
  depId = ((await res.json()) as { id: string }).id;
  await world.settle(async () => (await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id: depId } })).state === 'running');
  // The fake Fly has no machine behind its address: point the deployment at the misbehaving runner.
  await world.hangar.services.db.deployment.update({ where: { id: depId }, data: { privateAddress: runner.url } });
  server = serve({ fetch: world.hangar.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await runner?.close();
  await world?.close();
});

const base = () => `http://127.0.0.1:${port}`;
const mcpPath = () => `/v1/deployments/${depId}/mcp`;
const mcpPost = (method: string, headers: Record<string, string>) =>
  fetch(`${base()}${mcpPath()}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method }),
  });

async function settledSlots(): Promise<number> {
  for (let i = 0; i < 100; i += 1) {
    if (world.hangar.services.mcpStreams.inUse('deployment', depId) === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return world.hangar.services.mcpStreams.inUse('deployment', depId);
}

describe('socket behaviours against the streaming routes', () => {
  it('caps MCP requests in flight per key and per deployment with 429 and Retry-After, and frees slots when streams end', async () => {
    const streams: Response[] = [];
    for (let i = 0; i < PER_KEY; i += 1) {
      const res = await mcpPost('sse', world.owner.keyHeaders);
      expect(res.status).toBe(200);
      streams.push(res);
    }
    const refused = await mcpPost('ok', world.owner.keyHeaders);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');

    // Another key of the same user has slots of its own, up to the deployment's cap.
    const other = await world.hangar.request('/v1/me/keys', jsonInit('POST', world.owner.keyHeaders, { name: 'second', scopes: ['mcp'] }));
    const second = { authorization: `Bearer ${((await other.json()) as { key: string }).key}` };
    for (let i = PER_KEY; i < PER_DEPLOYMENT; i += 1) {
      const res = await mcpPost('sse', second);
      expect(res.status).toBe(200);
      streams.push(res);
    }
    const full = await mcpPost('ok', second);
    expect(full.status).toBe(429);
    await full.body?.cancel();

    for (const res of streams) await res.body?.cancel();
    expect(await settledSlots()).toBe(0);
    const again = await mcpPost('ok', world.owner.keyHeaders);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: true } });
  });

  it('refuses an upstream body that is not JSON or an event stream with a 502 in the error shape', async () => {
    const res = await mcpPost('html', world.owner.keyHeaders);
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('deployment_bad_response');
    expect(await res.text().catch(() => '')).not.toContain('<h1>');
  });

  it(`${ROUNDS} hostile socket behaviours: the process survives, no undesigned 5xx, no slot leaks, still serving`, async () => {
    const rng = new Rng(SEED);
    const target = { port, mcpPath: mcpPath(), jsonPath: `/v1/teams/${world.owner.team.id}/deployments`, auth: world.owner.keyHeaders.authorization! };
    const outcomes: SocketOutcome[] = [];
    for (let done = 0; done < ROUNDS; done += CONCURRENCY) {
      const batch = Array.from({ length: Math.min(CONCURRENCY, ROUNDS - done) }, () => socketBehaviour(rng, target));
      outcomes.push(...(await Promise.all(batch.map((run) => run()))));
    }
    const undesigned = outcomes.filter((o) => o.status !== undefined && o.status >= 500 && !DESIGNED.has(o.code ?? ''));
    const labels = new Set(outcomes.map((o) => o.label));
    process.stdout.write(`sockets seed=${SEED} rounds=${outcomes.length} kinds=${labels.size} statuses=${JSON.stringify(countBy(outcomes))}\n`);
    expect(undesigned, `replay with FUZZ_SEED=${SEED}`).toEqual([]);
    expect(labels.size).toBeGreaterThanOrEqual(12);
    expect(uncaught).toEqual([]);
    expect(await settledSlots()).toBe(0);

    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    const res = await mcpPost('ok', world.owner.keyHeaders);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: true } });
    // An upstream that resets is a designed 502, not a crash.
    const reset = await mcpPost('reset', world.owner.keyHeaders);
    expect(reset.status).toBe(502);
  }, 180_000);
});

function countBy(outcomes: SocketOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[String(o.status ?? 'none')] = (counts[String(o.status ?? 'none')] ?? 0) + 1;
  return counts;
}
