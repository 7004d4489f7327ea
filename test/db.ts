import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { TEMPLATE_DB } from './global-setup.ts';

/** The admin connection URL of the run's PostgreSQL for `database`. */
export function databaseUrl(database: string): string {
  return inject('pgUrlTemplate').replace('{db}', database);
}

/**
 * A fresh, fully migrated database of the test's own, cloned from the run's template (fast: a file copy),
 * and a pool on it. Call `drop()` in afterAll.
 */
export async function createTestDatabase(): Promise<{ name: string; url: string; pool: pg.Pool; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
        break;
      } catch (error) {
        // Two clones at the same instant can collide on the template; wait and try again.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  pool.on('error', () => undefined);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      const dropper = new pg.Client({ connectionString: databaseUrl('postgres') });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await dropper.end();
    },
  };
}

/** A database with nothing in it (not even migrations), for migration tests. */
export async function createEmptyDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    name,
    url: databaseUrl(name),
    async drop() {
      const dropper = new pg.Client({ connectionString: databaseUrl('postgres') });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await dropper.end();
    },
  };
}
