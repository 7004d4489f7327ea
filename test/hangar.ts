import { Writable } from 'node:stream';
import { loadConfig } from '../api/config/config.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeHangar, type ComposeOptions, type Hangar } from '../api/compose.ts';
import { generateFernetKey } from '../api/vault/fernet.ts';
import { ManualClock, type Clock } from '../api/platform/clock.ts';
import { createTestDatabase } from './db.ts';

/** Every log line a test Hangar wrote, raw and parsed, so tests can search them (canary tests). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(line);
    done();
  }

  /** Parsed JSON records. */
  records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestHangar extends Hangar {
  logs: LogCapture;
  clock: Clock;
  /** Calls the in-process app: `request('/v1/me', { headers })`. */
  request(path: string, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

/**
 * A real Hangar (real app, real PostgreSQL database of its own, real crypto) for one test file.
 * `env` overrides configuration exactly as environment variables would.
 */
export async function createTestHangar(
  options: { env?: Record<string, string>; clock?: Clock } & Pick<ComposeOptions, 'driver' | 'reconciler' | 'secrets' | 'resolveHost' | 'clientMetadata'> = {},
): Promise<TestHangar> {
  const database = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    HANGAR_PUBLIC_URL: 'http://localhost:8080',
    HANGAR_DATA_DIR: dataDir,
    FERNET_KEYS: generateFernetKey(),
    ...options.env,
  });
  const logs = new LogCapture();
  const clock = options.clock ?? new ManualClock(Date.now());
  const hangar = await composeHangar(config, {
    pool: database.pool,
    logDestination: logs,
    clock,
    driver: options.driver,
    reconciler: options.reconciler,
    secrets: options.secrets,
    resolveHost: options.resolveHost,
    clientMetadata: options.clientMetadata,
  });
  return {
    ...hangar,
    logs,
    clock,
    request: (path, init) => Promise.resolve(hangar.app.request(path, init)),
    async dispose() {
      await hangar.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
