import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { z } from 'zod';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { embeddedUrl, startEmbeddedPostgres } from '../db/embedded.ts';
import { createPool, externalPoolConfig } from '../db/pool.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { KeyRingError, loadKeyRing } from './keyring.ts';
import { rotateVault, type RotationReport } from './rotate.ts';
import { Vault } from './vault.ts';

/** The embedded cluster's superuser and database, as api/db/embedded.ts and api/compose.ts create them. */
const EMBEDDED_DATABASE = 'hangar';

/** Raised for a bad command line; its message is the usage. */
export class RotateArgsError extends Error {
  readonly code = 'rotate_args_invalid';
}

const ArgsSchema = z.object({ batchSize: z.coerce.number().int().min(1).max(10_000).default(200) });

/** Parses `--batch-size N` / `--batch-size=N`; throws RotateArgsError with the usage. */
export function parseRotateArgs(argv: readonly string[]): z.infer<typeof ArgsSchema> {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2);
    if (flag === '--batch-size') values.batchSize = inline ?? argv[(i += 1)] ?? '';
    else throw new RotateArgsError(`unknown argument ${flag} (usage: vault:rotate [--batch-size N])`);
  }
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) throw new RotateArgsError('--batch-size must be a whole number from 1 to 10000');
  return parsed.data;
}

/**
 * The URL of an embedded PostgreSQL that a running Hangar already serves from `dataDir`, read from its
 * postmaster.pid (line 4 is the port). Starting a second server on the same directory would stop the
 * running one, so rotation connects to it instead.
 */
export function runningEmbeddedUrl(dataDir: string): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EPERM') return undefined;
  }
  const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
  // postmaster.pid line 5 is the socket directory (empty when the cluster listens on TCP only).
  const socketDir = lines[4]?.trim() || undefined;
  return embeddedUrl({ password, port, socketDir, database: EMBEDDED_DATABASE });
}

async function connect(config: Config, logger: Logger): Promise<{ pool: pg.Pool; close(): Promise<void> }> {
  if (config.database.kind === 'external') {
    const pool = createPool(externalPoolConfig(config.database), logger, 2);
    return { pool, close: () => pool.end() };
  }
  const running = runningEmbeddedUrl(config.database.dataDir);
  if (running) {
    logger.info({ dataDir: config.database.dataDir }, 'using the embedded PostgreSQL of the running Hangar');
    const pool = createPool({ connectionString: running }, logger, 2);
    return { pool, close: () => pool.end() };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, database: EMBEDDED_DATABASE, logger });
  const pool = createPool({ connectionString: embedded.url(EMBEDDED_DATABASE) }, logger, 2);
  return {
    pool,
    async close() {
      await pool.end();
      await embedded.stop();
    },
  };
}

export interface RunRotateOptions {
  env: Record<string, string | undefined>;
  argv?: readonly string[];
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * `npm run vault:rotate`: loads the config and key ring as the API does, connects to the same database, and
 * re-encrypts every stored value under the newest FERNET_KEYS key. Safe to run beside the API and to rerun.
 */
export async function runVaultRotate(options: RunRotateOptions): Promise<RotationReport> {
  const { batchSize } = parseRotateArgs(options.argv ?? []);
  const config = loadConfig(options.env);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const ring = await loadKeyRing({
    fernetKeys: config.fernetKeys,
    databaseKind: config.database.kind,
    dataDir: config.dataDir,
    logger,
  });
  const db = await connect(config, logger);
  try {
    return await rotateVault({ pool: db.pool, vault: new Vault(ring), batchSize, logger, signal: options.signal });
  } finally {
    await db.close();
  }
}

/** True when the run finished with every stored value under the newest key (the old keys may go). */
export function rotationComplete(report: RotationReport): boolean {
  return !report.aborted && Object.values(report.tables).every((t) => t.remaining === 0);
}

/** A human summary of a report, one line per table, and what to do next. */
export function formatRotationReport(report: RotationReport): string {
  const lines = [`vault rotation to key ${report.keyId}${report.aborted ? ' (interrupted)' : ''}`];
  for (const [table, c] of Object.entries(report.tables)) {
    lines.push(`  ${table.padEnd(16)} scanned ${c.scanned}, rotated ${c.rotated}, failed ${c.failed}, remaining ${c.remaining}`);
  }
  lines.push(
    rotationComplete(report)
      ? 'done: every stored value is under the newest key; older keys can be removed from FERNET_KEYS.'
      : 'not done: keep the older keys in FERNET_KEYS and run again (failed values need the key they were made with).',
  );
  return lines.join('\n');
}

/**
 * What the command prints for a failure: our own errors say what to fix; anything else (a driver error can
 * quote data) shows only its class and code.
 */
export function describeRotateError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof KeyRingError || error instanceof RotateArgsError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '42P01') return 'the database has no Hangar tables yet (start Hangar once so it applies its migrations)';
  const name = error instanceof Error ? error.name : 'error';
  return typeof code === 'string' || typeof code === 'number' ? `${name} (code ${code})` : name;
}
