import type pg from 'pg';
import type { Config } from './config/config.ts';
import type { Db } from './db/pool.ts';
import type { Clock } from './platform/clock.ts';
import type { Logger } from './platform/logger.ts';

/**
 * Everything a handler or background loop may use, built once by the composition root (api/compose.ts)
 * and handed to the app. Nothing in Hangar reaches for a module-level singleton.
 */
export interface Services {
  config: Config;
  /** Prisma over `pool`; every tenant query goes through the scoped helpers of its domain. */
  db: Db;
  pool: pg.Pool;
  clock: Clock;
  logger: Logger;
  /** Names of the migrations this build ships, read once at start (readiness compares them with the database). */
  migrations: readonly string[];
}
