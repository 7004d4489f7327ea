import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createTestDatabase } from '../../test/db.ts';
import { createLogger } from '../platform/logger.ts';
import { generateFernetKey } from './fernet.ts';
import { createKeyRing } from './keyring.ts';
import { ENCRYPTED_TABLES, rotateVault } from './rotate.ts';
import { Vault } from './vault.ts';

const [NEW, OLD, LOST] = [generateFernetKey(), generateFernetKey(), generateFernetKey()];
const oldVault = new Vault(createKeyRing([OLD]));
const ringVault = new Vault(createKeyRing([NEW, OLD]));
const newOnly = new Vault(createKeyRing([NEW]));

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let logLines: Record<string, unknown>[];
const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line)) } });

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** Every encrypted row as `table/id -> {ciphertext, keyId}`, read straight from the columns. */
async function readAll(pool: pg.Pool) {
  const out: Record<string, { ciphertext: string; keyId: string }> = {};
  for (const [table, c] of Object.entries(ENCRYPTED_TABLES)) {
    const { rows } = await pool.query(
      `SELECT ${c.id} AS id, ${c.ciphertext} AS ciphertext, ${c.keyId} AS key_id FROM ${table} WHERE ${c.ciphertext} IS NOT NULL`,
    );
    for (const row of rows) out[`${table}/${row.id}`] = { ciphertext: row.ciphertext, keyId: row.key_id };
  }
  return out;
}

/**
 * Writes, with raw SQL, 5 credentials under the old key plus one already under the new key, one encrypted
 * and one plain setting, two deployments and one encrypted and one plain template value. Returns the plaintexts.
 */
async function seed(pool: pg.Pool): Promise<Record<string, string>> {
  await pool.query('DELETE FROM credentials; DELETE FROM settings; DELETE FROM deployments; DELETE FROM template_values; DELETE FROM templates; DELETE FROM teams');
  const plain: Record<string, string> = {};
  const put = (vault: Vault, key: string) => {
    plain[key] = `secret-for-${key}`;
    return vault.encrypt(plain[key]);
  };
  await pool.query(`INSERT INTO teams (id, slug, name, updated_at) VALUES ('team_1', 't1', 'T1', now())`);
  for (let i = 1; i <= 6; i += 1) {
    const s = put(i === 6 ? newOnly : oldVault, `credentials/cred_${i}`);
    await pool.query(
      `INSERT INTO credentials (id, scope, team_id, name, ciphertext, key_id, updated_at) VALUES ($1, 'team', 'team_1', $2, $3, $4, '2026-01-01')`,
      [`cred_${i}`, `NAME_${i}`, s.ciphertext, s.keyId],
    );
  }
  const setting = put(oldVault, 'settings/smtp.password');
  await pool.query(
    `INSERT INTO settings (key, value, ciphertext, key_id, updated_at) VALUES ('smtp.password', NULL, $1, $2, now()), ('site.name', '"Hangar"', NULL, NULL, now())`,
    [setting.ciphertext, setting.keyId],
  );
  for (const id of ['dep_1', 'dep_2']) {
    const s = put(oldVault, `deployments/${id}`);
    await pool.query(
      `INSERT INTO deployments (id, team_id, name, runtime, package_name, package_version, requested_spec, launch_spec, region, size, runner_token_cipher, runner_token_key_id, updated_at)
       VALUES ($1, 'team_1', $1, 'npm', 'pkg', '1.0.0', 'pkg@1', '{}', 'iad', 'shared-cpu-1x', $2, $3, now())`,
      [id, s.ciphertext, s.keyId],
    );
  }
  await pool.query(
    `INSERT INTO templates (id, slug, name, description, package_spec, fields, updated_at) VALUES ('tpl_1', 'gh', 'GitHub', 'd', 'pkg@1', '[]', now())`,
  );
  const tv = put(oldVault, 'template_values/tv_1');
  await pool.query(
    `INSERT INTO template_values (id, template_id, scope, owner_id, field, value, ciphertext, key_id, updated_at)
     VALUES ('tv_1', 'tpl_1', 'team', 'team_1', 'TOKEN', NULL, $1, $2, now()), ('tv_2', 'tpl_1', 'team', 'team_1', 'ORG', '"acme"', NULL, NULL, now())`,
    [tv.ciphertext, tv.keyId],
  );
  return plain;
}

const counts = (scanned: number, rotated: number, failed = 0, remaining = 0) => ({ scanned, rotated, failed, remaining });

describe('rotateVault', () => {
  beforeEach(() => {
    logLines = [];
  });

  it('with keys [new, old] reads old data; after rotating every row carries the new key id and the old key can go', async () => {
    const plain = await seed(db.pool);
    const before = await readAll(db.pool);
    expect(Object.keys(before).sort()).toEqual(Object.keys(plain).sort());
    for (const [key, stored] of Object.entries(before)) expect(ringVault.decrypt(stored)).toBe(plain[key]);

    const report = await rotateVault({ pool: db.pool, vault: ringVault, batchSize: 2, logger });
    expect(report).toEqual({
      keyId: ringVault.currentKeyId,
      aborted: false,
      tables: { credentials: counts(5, 5), settings: counts(1, 1), deployments: counts(2, 2), template_values: counts(1, 1) },
    });
    const after = await readAll(db.pool);
    for (const [key, stored] of Object.entries(after)) {
      expect(stored.keyId).toBe(newOnly.currentKeyId);
      expect(newOnly.decrypt(stored)).toBe(plain[key]);
    }
    expect(after['credentials/cred_6']).toEqual(before['credentials/cred_6']);
    expect(after['credentials/cred_1']?.ciphertext).not.toBe(before['credentials/cred_1']?.ciphertext);
    const untouched = await db.pool.query(`SELECT count(*)::int AS n FROM credentials WHERE updated_at = '2026-01-01'`);
    expect(untouched.rows[0].n).toBe(6);
    const plainRows = await db.pool.query(
      `SELECT (SELECT value FROM settings WHERE key = 'site.name') AS s, (SELECT value FROM template_values WHERE id = 'tv_2') AS t`,
    );
    expect(plainRows.rows[0]).toEqual({ s: 'Hangar', t: 'acme' });

    const again = await rotateVault({ pool: db.pool, vault: ringVault, batchSize: 2, logger });
    expect(Object.values(again.tables)).toEqual([counts(0, 0), counts(0, 0), counts(0, 0), counts(0, 0)]);
    expect(JSON.stringify(logLines)).not.toMatch(/secret-for-|gAAAAA/);
  });

  it('resumes an interrupted rotation where it stopped', async () => {
    const plain = await seed(db.pool);
    const controller = new AbortController();
    const first = await rotateVault({
      pool: db.pool,
      vault: ringVault,
      batchSize: 2,
      logger,
      signal: controller.signal,
      onBatch: () => controller.abort(),
    });
    expect(first.aborted).toBe(true);
    expect(first.tables).toEqual({
      credentials: counts(2, 2, 0, 3),
      settings: counts(0, 0, 0, 1),
      deployments: counts(0, 0, 0, 2),
      template_values: counts(0, 0, 0, 1),
    });
    const keyIds = Object.values(await readAll(db.pool)).map((s) => s.keyId);
    expect(keyIds.filter((k) => k === ringVault.currentKeyId)).toHaveLength(3);

    const second = await rotateVault({ pool: db.pool, vault: ringVault, batchSize: 2, logger });
    expect(second.aborted).toBe(false);
    expect(second.tables).toEqual({
      credentials: counts(3, 3),
      settings: counts(1, 1),
      deployments: counts(2, 2),
      template_values: counts(1, 1),
    });
    for (const [key, stored] of Object.entries(await readAll(db.pool))) expect(newOnly.decrypt(stored)).toBe(plain[key]);
  });

  it('skips rows a writer holds locked and rows no key opens, and reports them as remaining', async () => {
    await seed(db.pool);
    const lost = new Vault(createKeyRing([LOST])).encrypt('unreadable');
    await db.pool.query(`UPDATE credentials SET ciphertext = $1, key_id = $2 WHERE id = 'cred_2'`, [lost.ciphertext, lost.keyId]);
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`SELECT 1 FROM credentials WHERE id = 'cred_4' FOR UPDATE`);
      const report = await rotateVault({ pool: db.pool, vault: ringVault, batchSize: 10, logger });
      expect(report.tables.credentials).toEqual(counts(4, 3, 1, 2));
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    const failure = logLines.find((l) => l.msg === 'vault rotation: value not decryptable');
    expect(failure).toMatchObject({ level: 'warn', table: 'credentials', id: 'cred_2', keyId: lost.keyId, reason: 'unknown_key' });
    const stillLost = await db.pool.query(`SELECT ciphertext FROM credentials WHERE id = 'cred_2'`);
    expect(stillLost.rows[0].ciphertext).toBe(lost.ciphertext);

    const rerun = await rotateVault({ pool: db.pool, vault: ringVault, batchSize: 10, logger });
    expect(rerun.tables.credentials).toEqual(counts(2, 1, 1, 1));
  });
});

