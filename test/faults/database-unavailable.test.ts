import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../api/db/embedded.ts';
import { createPool, createPrisma, isDatabaseUnavailable } from '../../api/db/pool.ts';
import { createLogger } from '../../api/platform/logger.ts';
import { createTestDatabase } from '../db.ts';

/** The 503-or-500 decision, on real errors from pg and Prisma: an unreachable database against a bad query. */
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('isDatabaseUnavailable', () => {
  it('is true for a refused connection, through pg and through Prisma', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: await freePort(), user: 'x', password: 'x', database: 'x', connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined);
    const prisma = createPrisma(pool);
    try {
      expect(isDatabaseUnavailable(await caught(() => pool.query('SELECT 1')))).toBe(true);
      expect(isDatabaseUnavailable(await caught(() => prisma.user.count()))).toBe(true);
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });

  it('is true for a connection the server terminates (57P01), and for the client left broken by it', async () => {
    const victim = new pg.Client({ connectionString: database.url });
    victim.on('error', () => undefined);
    await victim.connect();
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const sleeping = caught(() => victim.query('SELECT pg_sleep(5)'));
    await new Promise((r) => setTimeout(r, 100));
    await database.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    const error = await sleeping;
    expect((error as { code?: string }).code).toBe('57P01');
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseUnavailable(await caught(() => victim.query('SELECT 1')))).toBe(true);
    await victim.end().catch(() => undefined);
  });

  it('is false for errors of the query or the data, and for anything else', async () => {
    const prisma = createPrisma(database.pool);
    try {
      expect(isDatabaseUnavailable(await caught(() => database.pool.query('SELEC 1')))).toBe(false);
      expect(isDatabaseUnavailable(await caught(() => prisma.$queryRawUnsafe('SELECT 1/0')))).toBe(false);
      expect(isDatabaseUnavailable(await caught(() => prisma.user.findUniqueOrThrow({ where: { id: 'usr_missing' } })))).toBe(false);
    } finally {
      await prisma.$disconnect();
    }
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable({ code: 'P2002' })).toBe(false);
  });
});

describe('createPool', () => {
  it('survives the server ending a connection that is checked out between two queries (no unhandled error event)', async () => {
    const pool = createPool({ connectionString: database.url }, createLogger({ level: 'silent' }), 2);
    try {
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await database.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((r) => setTimeout(r, 200));
      expect(isDatabaseUnavailable(await caught(() => client.query('SELECT 1')))).toBe(true);
      client.release();
      // The broken client was discarded: the next query gets a fresh connection.
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
