import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { diffSchema } from './schema-diff.ts';

const schema = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db.drop();
});

describe('schema.prisma and the migrated database', () => {
  it('agree on tables, columns, types, nullability, defaults, enums, indexes and foreign keys', async () => {
    expect(await diffSchema(db.pool, schema)).toEqual({ missing: [], unexpected: [] });
  });

  it('reports a column the migration adds that the schema does not have', async () => {
    await db.pool.query('ALTER TABLE users ADD COLUMN nickname text');
    try {
      expect((await diffSchema(db.pool, schema)).unexpected).toEqual(['column users.nickname text null no default']);
    } finally {
      await db.pool.query('ALTER TABLE users DROP COLUMN nickname');
    }
  });

  it('reports a missing index, a changed nullability and a changed on-delete rule', async () => {
    await db.pool.query('DROP INDEX sessions_user_id_idx');
    await db.pool.query('ALTER TABLE teams ALTER COLUMN fly_network SET NOT NULL');
    await db.pool.query('ALTER TABLE memberships DROP CONSTRAINT memberships_user_id_fkey');
    await db.pool.query(
      'ALTER TABLE memberships ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE RESTRICT',
    );
    const diff = await diffSchema(db.pool, schema);
    await db.pool.query('CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id")');
    await db.pool.query('ALTER TABLE teams ALTER COLUMN fly_network DROP NOT NULL');
    await db.pool.query('ALTER TABLE memberships DROP CONSTRAINT memberships_user_id_fkey');
    await db.pool.query(
      'ALTER TABLE memberships ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE ON UPDATE CASCADE',
    );
    expect(diff.missing).toEqual([
      'column teams.fly_network text null no default',
      'fk memberships(user_id) -> users(id) on delete c',
      'index sessions(user_id)',
    ]);
    expect(diff.unexpected).toEqual([
      'column teams.fly_network text not null no default',
      'fk memberships(user_id) -> users(id) on delete r',
    ]);
  });

  it('reports a schema change that no migration made', async () => {
    const edited = schema.replace('model MailMessage {', 'model MailMessage {\n  priority Int @default(0)');
    expect((await diffSchema(db.pool, edited)).missing).toEqual(['column mail_outbox.priority int4 not null default']);
  });
});
