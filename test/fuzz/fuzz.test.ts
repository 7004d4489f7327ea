import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFuzzWorld, type FuzzWorld } from './fuzz-world.ts';
import { runFuzz } from './fuzz-runner.ts';
import { fuzzSeed } from './rng.ts';

/**
 * Fuzzes every endpoint of a real Hangar (real HTTP server on 127.0.0.1, real PostgreSQL) from its OpenAPI
 * document with hostile bodies, headers, paths and raw HTTP. Short form in `npm test`; `npm run test:soak`
 * sets FUZZ_REQUESTS to 25,000. A failure prints the seed: rerun with FUZZ_SEED=<seed> to replay it.
 */
const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 2_000);
const SEED = fuzzSeed();

let world: FuzzWorld;
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  world = await createFuzzWorld();
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await world?.close();
});

describe('fuzz: every endpoint, hostile input', () => {
  it(`${TOTAL} requests: zero 5xx, error shape on every 4xx, nothing stored by rejected requests, still up`, async () => {
    const started = Date.now();
    const report = await runFuzz(world, { seed: SEED, total: TOTAL });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = `fuzz seed=${SEED} requests=${report.requests} 5xx=${report.serverErrors} operations=${report.operations} batches=${report.batches} compared=${report.batchesCompared} in ${seconds}s statuses=${JSON.stringify(report.statuses)} designed503=${JSON.stringify(report.unavailable)} resets=${report.resets}`;
    process.stdout.write(`${summary}\nslowest (ms total): ${JSON.stringify(report.slowest)}\n`);
    if (report.failures.length > 0) {
      // What the server logged for its errors (class and message only), to find the cause without a rerun.
      const errors = world.hangar.logs.records().filter((r) => r.msg === 'unhandled error').slice(0, 15);
      for (const r of errors) process.stdout.write(`server error ${String(r.requestId)} ${String(r.path)}: ${JSON.stringify(r.err).slice(0, 600)}\n`);
    }
    expect(report.failures, `${summary}\nreplay with FUZZ_SEED=${SEED}`).toEqual([]);
    expect(report.serverErrors).toBe(0);
    expect(report.requests).toBe(TOTAL);
    // The row-count check must really have run: most batches are all-rejected by construction.
    expect(report.batchesCompared).toBeGreaterThan(report.batches / 4);
    expect(report.operations).toBeGreaterThan(50);

    // Still up, still serving the attacker's real key, and nothing polluted Object.prototype.
    expect((await fetch(`${world.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${world.baseUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${world.baseUrl}/v1/me`, { headers: world.attacker.keyHeaders })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(uncaught).toEqual([]);
  }, Math.max(120_000, TOTAL * 40));
});
