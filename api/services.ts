import type pg from 'pg';
import type { AuditLog } from './audit/audit-log.ts';
import type { Config } from './config/config.ts';
import type { Db } from './db/pool.ts';
import type { Clock } from './platform/clock.ts';
import type { Mailer } from './mail/mailer.ts';
import type { Logger } from './platform/logger.ts';
import type { RateLimiter } from './ratelimit/limiter.ts';

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
  /** Verification, reset and invitation mail: the outbox table in local mode, SMTP when configured. */
  mailer: Mailer;
  /** Login/reset and per-credential request limits; PostgreSQL-backed so instances share it. */
  rateLimiter: RateLimiter;
  /** Append-only security and change log; call `audit.record({...})`, never with secret values. */
  audit: AuditLog;
}
