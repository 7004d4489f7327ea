import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import type { DatabaseConfig } from '../config/config.ts';
import type { Logger } from '../platform/logger.ts';
import { PrismaClient } from './generated/client.ts';

export type Db = PrismaClient;
export { PrismaClient };

/**
 * Builds node-postgres settings for an external database. TLS with verify-full is the default: the server
 * certificate must chain to `ca` (or the system store) and name the host. Weaker modes only reach here
 * when the config allowed them (loopback, or HANGAR_ALLOW_INSECURE_DB).
 */
export function externalPoolConfig(db: Extract<DatabaseConfig, { kind: 'external' }>): pg.PoolConfig {
  const url = new URL(db.url);
  const sslmode = url.searchParams.get('sslmode') ?? 'verify-full';
  const base: pg.PoolConfig = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres',
  };
  switch (sslmode) {
    case 'disable':
      return { ...base, ssl: false };
    case 'allow':
    case 'prefer':
    case 'require':
    case 'no-verify':
      return { ...base, ssl: { rejectUnauthorized: false } };
    case 'verify-ca':
      return { ...base, ssl: { ca: db.ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } };
    default:
      return { ...base, ssl: { ca: db.ca, rejectUnauthorized: true, servername: base.host, minVersion: 'TLSv1.2' } };
  }
}

/**
 * A pool that logs (never throws on) lost connections, so a database restart cannot crash the API. pg emits
 * `error` on a client whose connection ends, also while it is checked out (a transaction between two
 * queries); with no listener that event would end the process, so every client gets one when it connects.
 * The query in flight still fails, and the pool discards the broken client when it is released.
 */
export function createPool(config: pg.PoolConfig, logger: Logger, max: number): pg.Pool {
  const pool = new pg.Pool({ ...config, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  pool.on('error', (error) => logger.warn({ err: { code: (error as { code?: string }).code } }, 'database connection lost'));
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.debug({ err: { code: (error as { code?: string }).code } }, 'database connection lost while checked out'));
  });
  return pool;
}

/** The Prisma client over the shared pool (Prisma 7 query compiler + adapter-pg: no engine binary). */
export function createPrisma(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}

const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024']);
const UNAVAILABLE_DRIVER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// SQLSTATE class 08 (connection exception), 57P01-57P03 (shutting down, crash, starting up), 53300 (too many connections).
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
// pg raises these without a code when a connection ends or cannot be had in time.
const UNAVAILABLE_PG_MESSAGES = /^(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)$/;

/**
 * True when `error` (a pg, adapter or Prisma error, or one wrapping it as `cause`) means the database cannot
 * be reached right now (down, restarting, out of connections), as opposed to a bad query or bad input, so
 * callers can answer 503 instead of 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as Record<string, unknown> | undefined, depth = 0; e && typeof e === 'object' && depth < 5; depth += 1) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && (UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_PG_MESSAGES.test(e.message)) return true;
    const driver = (e.meta as { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } } | undefined)?.driverAdapterError?.cause;
    if (typeof driver?.kind === 'string' && UNAVAILABLE_DRIVER_KINDS.has(driver.kind)) return true;
    if (typeof driver?.originalCode === 'string' && UNAVAILABLE_SQLSTATE.test(driver.originalCode)) return true;
    e = e.cause as Record<string, unknown> | undefined;
  }
  return false;
}
