import { performance } from 'node:perf_hooks';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

/** The value at percentile `p` of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Latency of `calls` sequential `echo` tool calls after `warmup` untimed ones, in ms. */
export async function timeEchoCalls(client: Client, calls: number, warmup: number): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < warmup; i++) await client.callTool({ name: 'echo', arguments: { message: `w${i}` } });
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/** `echo` calls per second with `concurrency` calls in flight, `calls` in all. */
export async function echoThroughput(client: Client, calls: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) await client.callTool({ name: 'echo', arguments: { message: `t${next++}` } });
    }),
  );
  return calls / ((performance.now() - start) / 1000);
}
