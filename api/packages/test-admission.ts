import { createTestDatabase } from '../../test/db.ts';
import { createPrisma, type Db } from '../db/pool.ts';
import { ManualClock, systemClock } from '../platform/clock.ts';
import { createLogger } from '../platform/logger.ts';
import { createAdmission, type Admission } from './admission.ts';

/** A real database, a manual clock and fast retries: what the admission tests share. */
export interface AdmissionHarness {
  db: Db;
  clock: ManualClock;
  /** Admission against the given registry URLs (timeout 400 ms, 3 attempts, short backoff). */
  admission(urls: { npm?: string; pypi?: string }, ttlMs?: number): Admission;
  /** Admission against the live npm registry, on the wall clock and with production timeouts. */
  liveNpmAdmission(): Admission;
  dispose(): Promise<void>;
}

/** Builds the shared test harness on a fresh PostgreSQL database. */
export async function createAdmissionHarness(now = Date.UTC(2026, 10, 20, 12)): Promise<AdmissionHarness> {
  const database = await createTestDatabase();
  const db = createPrisma(database.pool);
  const clock = new ManualClock(now);
  const logger = createLogger({ level: 'silent' });
  return {
    db,
    clock,
    admission: (urls, ttlMs) =>
      createAdmission({
        db,
        clock,
        logger,
        npmRegistryUrl: urls.npm ?? 'http://127.0.0.1:9/',
        pypiBaseUrl: urls.pypi ?? 'http://127.0.0.1:9',
        runnerPythonVersion: '3.12',
        cacheTtlMs: ttlMs,
        call: { timeoutMs: 400, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } },
      }),
    liveNpmAdmission: () =>
      createAdmission({
        db,
        clock: systemClock,
        logger,
        npmRegistryUrl: 'https://registry.npmjs.org/',
        pypiBaseUrl: 'http://127.0.0.1:9',
        runnerPythonVersion: '3.12',
      }),
    async dispose() {
      await db.$disconnect();
      await database.drop();
    },
  };
}
