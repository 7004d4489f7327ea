import type { DestinationStream } from 'pino';
import type pg from 'pg';
import type { Config } from './config/config.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate, readMigrations } from './db/migrate.ts';
import { createPool, createPrisma, externalPoolConfig } from './db/pool.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { createApp } from './http/app.ts';
import { createMailer } from './mail/create-mailer.ts';
import { createMemoryRateLimiter } from './ratelimit/limiter.ts';
import { createPostgresRateLimiter } from './ratelimit/postgres-limiter.ts';
import type { App } from './http/context.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import type { Services } from './services.ts';

/** A composed Hangar: its services, its HTTP app, and how to release everything it holds. */
export interface Hangar {
  services: Services;
  app: App;
  close(): Promise<void>;
}

export interface ComposeOptions {
  clock?: Clock;
  logDestination?: DestinationStream;
  logger?: Logger;
  /** Use this pool instead of connecting from `config.database` (tests hand in a per-file database). */
  pool?: pg.Pool;
}

/**
 * The composition root: connects (or starts) the database, applies migrations, builds every service once,
 * and hands them to the app. Everything else receives its dependencies from here.
 */
export async function composeHangar(config: Config, options: ComposeOptions = {}): Promise<Hangar> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, destination: options.logDestination });
  const clock = options.clock ?? systemClock;
  let embedded: EmbeddedDatabase | undefined;
  let pool = options.pool;
  const ownsPool = !pool;

  try {
    if (!pool) {
      if (config.database.kind === 'embedded') {
        embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, database: 'hangar', logger });
        logger.info({ dataDir: config.database.dataDir, port: embedded.port }, 'embedded PostgreSQL started');
        pool = createPool({ connectionString: embedded.url('hangar') }, logger, config.databasePoolMax);
      } else {
        if (config.database.insecure) {
          logger.warn({ reason: config.database.insecureReason }, 'database connection is not verified TLS');
        }
        pool = createPool(externalPoolConfig(config.database), logger, config.databasePoolMax);
      }
    }
    const applied = await migrate(pool);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  } catch (error) {
    if (ownsPool) await pool?.end().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }

  const db = createPrisma(pool);
  const services: Services = {
    config,
    db,
    pool,
    clock,
    logger,
    migrations: readMigrations().map((m) => m.name),
    mailer: createMailer(config, db, logger),
    rateLimiter: config.rateLimits.store === 'memory' ? createMemoryRateLimiter() : createPostgresRateLimiter(pool),
    audit: createAuditLog(db, clock, logger),
  };
  const app = createApp(services);
  const livePool = pool;

  let closed = false;
  return {
    services,
    app,
    async close() {
      if (closed) return;
      closed = true;
      await db.$disconnect().catch(() => undefined);
      if (ownsPool) await livePool.end().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
