import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** The same key `prisma migrate` locks, so Hangar and `prisma migrate deploy` never migrate at once. */
export const MIGRATION_LOCK_KEY = 72707369;

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** Raised when the database's migration history cannot be trusted (edited or failed migrations). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Reads `prisma/migrations/<name>/migration.sql` in name order, with Prisma's checksum (SHA-256 hex). */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function history(client: pg.ClientBase): Promise<HistoryRow[]> {
  const exists = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
  if (!exists.rows[0]?.present) return [];
  const rows = await client.query<HistoryRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );
  return rows.rows;
}

/** Names of migrations in `dir` that the database has not finished applying. */
export async function pendingMigrations(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = await pool.connect();
  try {
    const done = new Set((await history(client)).filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
    return readMigrations(dir)
      .map((m) => m.name)
      .filter((name) => !done.has(name));
  } finally {
    client.release();
  }
}

/**
 * Applies pending migrations under a PostgreSQL advisory lock, recording each in `_prisma_migrations`
 * exactly as `prisma migrate deploy` does. Each migration runs in its own transaction. Returns the names applied.
 */
export async function migrate(pool: pg.Pool, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = readMigrations(dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(HISTORY_TABLE);
      const rows = await history(client);
      const failed = rows.find((r) => !r.finished_at && !r.rolled_back_at);
      if (failed) {
        throw new MigrationError(
          `migration ${failed.migration_name} failed earlier and was not resolved; fix the database, then mark it rolled back`,
        );
      }
      const done = new Map(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => [r.migration_name, r.checksum]));
      for (const migration of migrations) {
        const checksum = done.get(migration.name);
        if (checksum !== undefined) {
          if (checksum !== migration.checksum) {
            throw new MigrationError(`migration ${migration.name} was edited after it was applied (checksum differs)`);
          }
          continue;
        }
        const id = randomUUID();
        await client.query('BEGIN');
        try {
          await client.query(
            'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
            [id, migration.checksum, migration.name],
          );
          await client.query(migration.sql);
          await client.query(
            'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
            [id],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          const code = (error as { code?: string }).code ?? 'unknown';
          throw new MigrationError(`migration ${migration.name} failed (PostgreSQL error ${code}); nothing of it was applied`);
        }
        applied.push(migration.name);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
  return applied;
}
