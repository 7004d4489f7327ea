import type pg from 'pg';
import type { AuditLog } from './audit/audit-log.ts';
import type { Config } from './config/config.ts';
import type { Db } from './db/pool.ts';
import type { Clock } from './platform/clock.ts';
import type { Mailer } from './mail/mailer.ts';
import type { Logger } from './platform/logger.ts';
import type { RateLimiter } from './ratelimit/limiter.ts';
import type { ReconcilerLoop } from './deployments/reconciler-loop.ts';
import type { MachineDriver } from './machines/driver.ts';
import type { Admission } from './packages/admission.ts';
import type { SecretRegistry } from './platform/mask.ts';
import type { Vault } from './vault/vault.ts';
import type { LaunchChecker } from './deployments/launch-check.ts';
import type { HangarMetrics } from './metrics/hangar-metrics.ts';
import type { StreamSlots } from './mcp/stream-slots.ts';
import type { UsageRecorder } from './mcp/usage.ts';
import type { ClientMetadataFetcher } from './oauth/client-metadata.ts';
import type { CallLog } from './mcp/call-log.ts';
import type { CredentialCache } from './auth/credential-cache.ts';
import type { LastUsedWriter } from './auth/last-used.ts';

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
  /** Fernet vault (FERNET_KEYS ring): the only way to encrypt or decrypt stored secrets. */
  vault: Vault;
  /** Plaintexts the vault decrypted; the logger masks them wherever they appear. */
  secrets: SecretRegistry;
  /** Package admission (npm, PyPI) over the shared PostgreSQL cache. */
  admission: Admission;
  /** The launch-spec gate (args, env, URLs, secret names), at the API and again before launch. */
  launchChecker: LaunchChecker;
  /** Where machines run: Fly Machines, or local runner processes. Only the reconciler calls it. */
  driver: MachineDriver;
  /** MCP proxy usage per deployment, flushed to the database in batches. */
  usage: UsageRecorder;
  /** Caps on MCP requests in flight, per credential and per deployment. */
  mcpStreams: StreamSlots;
  /** The MCP call log: one row per proxied request, written in batches, pruned after its retention. */
  callLog: CallLog;
  /** The reconciler loop of this instance; the API nudges it after recording intent. */
  reconciler: Pick<ReconcilerLoop, 'nudge' | 'start' | 'stop' | 'passOnce' | 'deps'>;
  /** Prometheus metrics of this process, served by `GET /metrics`. */
  metrics: HangarMetrics;
  /** Fetches OAuth Client ID Metadata Documents through the SSRF rules (tests point it at a local TLS server). */
  clientMetadata: ClientMetadataFetcher;
  /** API-key and session lookups cached in process, invalidated across instances by LISTEN/NOTIFY. */
  credentialCache: CredentialCache;
  /** Batched writes of credentials' last use. */
  lastUsed: LastUsedWriter;
  /** Local mode without the sandbox: only the first account may sign up (api/machines/sandbox/start-policy.ts). */
  singleAccount?: boolean;
}
