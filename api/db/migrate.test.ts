import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../../test/db.ts';
import { MigrationError, migrate, pendingMigrations, readMigrations } from './migrate.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function emptyDb() {
  const db = await createEmptyDatabase();
  const pools = [new pg.Pool({ connectionString: db.url, max: 2 }), new pg.Pool({ connectionString: db.url, max: 2 })];
  cleanups.push(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db.drop();
  });
  return pools as [pg.Pool, pg.Pool];
}

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-mig-'));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

describe('migrate', () => {
  it('applies the shipped migrations once, recorded as prisma migrate deploy records them', async () => {
    const [pool] = await emptyDb();
    const shipped = readMigrations().map((m) => m.name);
    expect(await pendingMigrations(pool)).toEqual(shipped);
    expect(await migrate(pool)).toEqual(shipped);
    expect(await migrate(pool)).toEqual([]);
    const rows = await pool.query('SELECT migration_name, checksum, applied_steps_count, finished_at FROM "_prisma_migrations"');
    expect(rows.rows.map((r) => r.migration_name)).toEqual(shipped);
    expect(rows.rows[0].checksum).toBe(readMigrations()[0]?.checksum);
    expect(rows.rows[0].applied_steps_count).toBe(1);
    expect(rows.rows[0].finished_at).toBeInstanceOf(Date);
    expect(await pendingMigrations(pool)).toEqual([]);
  });

  it('lets only one of two instances starting together migrate (advisory lock)', async () => {
    const [a, b] = await emptyDb();
    // A slow migration widens the window in which both instances try to apply it.
    const dir = migrationsDir({
      '20260101000000_slow': 'SELECT pg_sleep(0.5); CREATE TABLE once_only (id int primary key);',
    });
    const [first, second] = await Promise.all([migrate(a, dir), migrate(b, dir)]);
    expect([...first, ...second]).toEqual(['20260101000000_slow']);
    const count = await a.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
    expect(count.rows[0].n).toBe(1);
  });

  it('refuses a migration edited after it was applied', async () => {
    const [pool] = await emptyDb();
    await migrate(pool, migrationsDir({ '20260101000000_a': 'CREATE TABLE a (id int);' }));
    await expect(migrate(pool, migrationsDir({ '20260101000000_a': 'CREATE TABLE a (id bigint);' }))).rejects.toThrow(
      /was edited after it was applied/,
    );
  });

  it('rolls back a failing migration whole and reports it without the driver message', async () => {
    const [pool] = await emptyDb();
    const dir = migrationsDir({ '20260101000000_bad': 'CREATE TABLE ok_part (id int); SELECT * FROM missing_table_xyz;' });
    const error = await migrate(pool, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toBe('migration 20260101000000_bad failed (PostgreSQL error 42P01); nothing of it was applied');
    const table = await pool.query(`SELECT to_regclass('ok_part') AS t`);
    expect(table.rows[0].t).toBeNull();
    expect(await pendingMigrations(pool, dir)).toEqual(['20260101000000_bad']);
  });
});
