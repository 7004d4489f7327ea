import { Writable } from 'node:stream';
import type { LaunchPlan } from '../../api/machines/driver.ts';
import { FlyClient, type FlyClientOptions } from '../../api/machines/fly-client.ts';
import { createLogger, type Logger } from '../../api/platform/logger.ts';
import { FakeFlyServer, type FakeFlyOptions } from './server.ts';

/** Log lines captured in memory, for assertions on what was (and was not) logged. */
export class LineCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(line);
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface FlyHarness {
  fake: FakeFlyServer;
  client: FlyClient;
  logger: Logger;
  logs: LineCapture;
  close(): Promise<void>;
}

export const TEST_TOKEN = 'fo1_test-token-0123456789';

/**
 * A fake Fly API on 127.0.0.1 and a real FlyClient pointed at it, with fast retries and captured logs.
 * `client` overrides the client's options (token, timeouts, retry).
 */
export async function createFlyHarness(options: { fake?: FakeFlyOptions; client?: Partial<FlyClientOptions> } = {}): Promise<FlyHarness> {
  const fake = await FakeFlyServer.start({ token: TEST_TOKEN, ...options.fake });
  const logs = new LineCapture();
  const logger = createLogger({ level: 'debug', destination: logs });
  const client = new FlyClient({
    baseUrl: fake.url,
    token: options.fake?.token ?? TEST_TOKEN,
    orgSlug: fake.orgSlug,
    logger,
    // Generous: on a loaded 2-core machine a local answer can take seconds, and a timed-out GET is retried,
    // which tests that count calls would read as a defect. Tests of timeouts set their own.
    timeoutMs: 10_000,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...options.client,
  });
  return { fake, client, logger, logs, close: () => fake.close() };
}

/** Polls `read` until `done` holds (or fails after `timeoutMs`): for machines' asynchronous states. */
export async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const TEST_IMAGE = `registry.fly.io/hangar-runner@sha256:${'ab'.repeat(32)}`;

/** A valid LaunchPlan for an npm package; `overrides` replace fields. */
export function samplePlan(overrides: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    deploymentId: 'dep_0123456789abcdef',
    teamId: 'team_fedcba9876543210',
    generation: 1,
    machineName: 'hangar-dep-0123456789abcdef',
    region: 'iad',
    runtime: 'npm',
    packageRef: '@modelcontextprotocol/server-everything@2026.8.31',
    args: ['stdio'],
    env: { LOG_LEVEL: 'info' },
    secretNames: ['GITHUB_TOKEN'],
    guest: { cpuKind: 'shared', cpus: 1, memoryMb: 256 },
    minSecretsVersion: undefined,
    ...overrides,
  };
}
