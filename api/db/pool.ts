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

/** A pool that logs (never throws on) errors of idle connections, so a database restart cannot crash the API. */
export function createPool(config: pg.PoolConfig, logger: Logger, max: number): pg.Pool {
  const pool = new pg.Pool({ ...config, max, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  pool.on('error', (error) => logger.warn({ err: { code: (error as { code?: string }).code } }, 'database connection lost'));
  return pool;
}

/** The Prisma client over the shared pool (Prisma 7 query compiler + adapter-pg: no engine binary). */
export function createPrisma(pool: pg.Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
