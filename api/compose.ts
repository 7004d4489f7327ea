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
import { createReservingRateLimiter } from './ratelimit/reserving-limiter.ts';
import type { App } from './http/context.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import type { Services } from './services.ts';
import { DEFAULT_RECONCILER_SETTINGS, type ReconcilerSettings } from './deployments/decide.ts';
import { createLaunchChecker } from './deployments/launch-check.ts';
import { createLaunchSecrets } from './deployments/launch-secrets.ts';
import type { HostResolver } from './launch-spec/validate-launch-spec.ts';
import { ReconcilerLoop } from './deployments/reconciler-loop.ts';
import { createTemplateSecretSource } from './catalog/resolve.ts';
import { loadStarterCatalog } from './catalog/starter.ts';
import type { MachineDriver } from './machines/driver.ts';
import { createFlyMachineDriver } from './machines/fly-driver.ts';
import { LocalMachineDriver } from './machines/local-driver.ts';
import { createAdmission } from './packages/admission.ts';
import { StreamSlots } from './mcp/stream-slots.ts';
import { createClientMetadataFetcher, type ClientMetadataFetcher } from './oauth/client-metadata.ts';
import { UsageRecorder } from './mcp/usage.ts';
import { CallLog, DEFAULT_CALL_LOG_SETTINGS, type CallLogSettings } from './mcp/call-log.ts';
import { CallMetrics } from './mcp/call-metrics.ts';
import { CredentialCache } from './auth/credential-cache.ts';
import { LastUsedWriter } from './auth/last-used.ts';
import { SecretRegistry } from './platform/mask.ts';
import { loadKeyRing } from './vault/keyring.ts';
import { Vault } from './vault/vault.ts';
import { HangarMetrics } from './metrics/hangar-metrics.ts';
import { hostname } from 'node:os';
import { HANGAR_VERSION } from './platform/version.ts';

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
  /** Plaintexts the logger masks; tests pass their own to plant canaries. */
  secrets?: SecretRegistry;
  /** The machine driver (tests pass a Fly driver on the fake, or a local driver with a fixture server). */
  driver?: MachineDriver;
  /** DNS for the launch-spec URL rules (tests pass a table). */
  resolveHost?: HostResolver;
  /** Reconciler knobs beyond what config sets (tests shorten intervals). */
  reconciler?: Partial<ReconcilerSettings>;
  /** Fetcher of OAuth Client ID Metadata Documents (tests dial a local TLS server). */
  clientMetadata?: ClientMetadataFetcher;
  /** Close sign-ups after the first account (local mode without the sandbox: api/machines/sandbox/start-policy.ts). */
  singleAccount?: boolean;
  /** Call log knobs beyond what config sets (tests shorten the flush interval). */
  callLog?: Partial<CallLogSettings>;
}

/**
 * The composition root: connects (or starts) the database, applies migrations, builds every service once,
 * and hands them to the app. Everything else receives its dependencies from here.
 */
export async function composeHangar(config: Config, options: ComposeOptions = {}): Promise<Hangar> {
  const secrets = options.secrets ?? new SecretRegistry();
  const logger = options.logger ?? createLogger({ level: config.logLevel, destination: options.logDestination, knownSecrets: secrets });
  const clock = options.clock ?? systemClock;
  // Keys first: with an external database and no FERNET_KEYS, stop before touching anything.
  const vault = new Vault(await loadKeyRing({ fernetKeys: config.fernetKeys, databaseKind: config.database.kind, dataDir: config.dataDir, logger }), { secrets, clock });
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
  await loadStarterCatalog({ db, clock, logger });
  const metrics = new HangarMetrics({ version: HANGAR_VERSION });
  const driver: MachineDriver =
    options.driver ??
    (config.fly.driver === 'fly'
      ? createFlyMachineDriver(config.fly, { logger, hangarVersion: HANGAR_VERSION, metrics })
      : new LocalMachineDriver({ dataDir: config.dataDir, logger }));
  const launchChecker = createLaunchChecker(options.resolveHost);
  const settings: ReconcilerSettings = {
    ...DEFAULT_RECONCILER_SETTINGS,
    intervalMs: config.reconciler.intervalMs,
    healthFailureThreshold: config.reconciler.healthFailureThreshold,
    startGraceMs: config.reconciler.startGraceMs,
    crashLoopMaxRestarts: config.reconciler.crashLoopMaxRestarts,
    crashLoopWindowMs: config.reconciler.crashLoopWindowMs,
    ...options.reconciler,
  };
  const reconciler = new ReconcilerLoop(
    {
      db,
      pool,
      clock,
      logger,
      driver,
      launchSecrets: createLaunchSecrets({ db, vault, clock, templateSecrets: createTemplateSecretSource(db) }),
      launchChecker,
      settings,
      holder: config.instanceId ?? `${hostname()}:${process.pid}`,
    },
    logger,
    { metrics },
  );
  const callMetrics = new CallMetrics(metrics.registry);
  const callLog = new CallLog(
    { pool, clock, logger, observer: callMetrics, onDrop: () => callMetrics.observeDrop() },
    { ...DEFAULT_CALL_LOG_SETTINGS, retentionDays: config.callLogRetentionDays, ...options.callLog },
  );
  callLog.start();
  const services: Services = {
    config,
    db,
    pool,
    clock,
    logger,
    migrations: readMigrations().map((m) => m.name),
    mailer: createMailer(config, db, logger, vault),
    rateLimiter: config.rateLimits.store === 'memory' ? createMemoryRateLimiter() : createReservingRateLimiter(pool, createPostgresRateLimiter(pool)),
    audit: createAuditLog(db, clock, logger),
    vault,
    secrets,
    admission: createAdmission({
      db,
      clock,
      logger,
      npmRegistryUrl: config.npmRegistryUrl,
      pypiBaseUrl: config.pypiBaseUrl,
      runnerPythonVersion: config.runnerPythonVersion,
      cacheTtlMs: config.packageCacheTtlSeconds * 1000,
    }),
    launchChecker,
    driver,
    reconciler,
    metrics,
    usage: new UsageRecorder({ pool, clock, logger }),
    mcpStreams: new StreamSlots(config.mcpStreams),
    callLog,
    credentialCache: new CredentialCache({ pool, logger }),
    lastUsed: new LastUsedWriter({ pool, logger }),
    singleAccount: options.singleAccount ?? false,
    clientMetadata: options.clientMetadata ?? createClientMetadataFetcher({ resolveHost: options.resolveHost }),
  };
  await services.credentialCache.start();
  const app = createApp(services);
  const livePool = pool;

  let closed = false;
  return {
    services,
    app,
    async close() {
      if (closed) return;
      closed = true;
      await reconciler.stop();
      await services.usage.flush().catch(() => undefined);
      await callLog.close().catch(() => undefined);
      await services.lastUsed.flush().catch(() => undefined);
      await services.credentialCache.close();
      await driver.close().catch(() => undefined);
      await db.$disconnect().catch(() => undefined);
      if (ownsPool) await livePool.end().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
