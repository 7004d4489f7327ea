import pg from 'pg';
import type { Logger } from '../platform/logger.ts';
import { VaultDecryptError, type Vault } from './vault.ts';

/** A table that keeps vault ciphertexts, and the columns holding the row id, the token and its key id. */
interface EncryptedColumns {
  id: string;
  ciphertext: string;
  keyId: string;
}

/** Every place Hangar stores a vault ciphertext (prisma/schema.prisma); rotation walks all of them. */
export const ENCRYPTED_TABLES = {
  credentials: { id: 'id', ciphertext: 'ciphertext', keyId: 'key_id' },
  settings: { id: 'key', ciphertext: 'ciphertext', keyId: 'key_id' },
  deployments: { id: 'id', ciphertext: 'runner_token_cipher', keyId: 'runner_token_key_id' },
  template_values: { id: 'id', ciphertext: 'ciphertext', keyId: 'key_id' },
} as const satisfies Record<string, EncryptedColumns>;

export type EncryptedTable = keyof typeof ENCRYPTED_TABLES;

export interface TableCounts {
  /** Rows read that were not under the newest key. */
  scanned: number;
  rotated: number;
  /** Rows no key of the ring opens (logged by id and key id); left untouched. */
  failed: number;
  /** Rows still not under the newest key after this run: failed ones, rows locked by a writer, rows written meanwhile by an instance with older keys. */
  remaining: number;
}

export interface RotationReport {
  keyId: string;
  /** True when `signal` stopped the run early; a later run picks up the rest. */
  aborted: boolean;
  tables: Record<EncryptedTable, TableCounts>;
}

export interface RotateOptions {
  pool: pg.Pool;
  vault: Vault;
  batchSize?: number;
  logger: Logger;
  /** Checked before each batch: the batch in flight commits, then the run stops. */
  signal?: AbortSignal;
  /** Called after each committed batch (progress output; tests use it to interrupt). */
  onBatch?: (table: EncryptedTable, counts: TableCounts) => void;
}

interface Row {
  id: string;
  ciphertext: string;
  key_id: string | null;
}

function sql(table: EncryptedTable) {
  const c = ENCRYPTED_TABLES[table];
  const [t, id, cipher, key] = [table, c.id, c.ciphertext, c.keyId].map((name) => pg.escapeIdentifier(name));
  const pending = `${cipher} IS NOT NULL AND ${key} IS DISTINCT FROM $1`;
  return {
    // Keyset by id, so rows that fail or are skipped while locked are not read again in this run.
    select:
      `SELECT ${id} AS id, ${cipher} AS ciphertext, ${key} AS key_id FROM ${t} ` +
      `WHERE ${pending} AND ($2::text IS NULL OR ${id} > $2) ORDER BY ${id} LIMIT $3 FOR UPDATE SKIP LOCKED`,
    update:
      `UPDATE ${t} SET ${cipher} = v.ciphertext, ${key} = $1 ` +
      `FROM unnest($2::text[], $3::text[]) AS v(id, ciphertext) WHERE ${t}.${id} = v.id`,
    remaining: `SELECT count(*)::int AS n FROM ${t} WHERE ${pending}`,
  };
}

/** Rotates one batch in its own transaction; returns the last id read (undefined when none was left). */
async function rotateBatch(
  options: RotateOptions,
  table: EncryptedTable,
  after: string | undefined,
  counts: TableCounts,
): Promise<string | undefined> {
  const queries = sql(table);
  const current = options.vault.currentKeyId;
  const client = await options.pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<Row>(queries.select, [current, after ?? null, options.batchSize ?? 100]);
    const ids: string[] = [];
    const ciphertexts: string[] = [];
    for (const row of rows) {
      counts.scanned += 1;
      try {
        ids.push(row.id);
        ciphertexts.push(options.vault.reencrypt({ ciphertext: row.ciphertext, keyId: row.key_id ?? '' }).ciphertext);
      } catch (error) {
        if (!(error instanceof VaultDecryptError)) throw error;
        ids.pop();
        counts.failed += 1;
        options.logger.warn({ table, id: row.id, keyId: row.key_id, reason: error.reason }, 'vault rotation: value not decryptable');
      }
    }
    if (ids.length > 0) await client.query(queries.update, [current, ids, ciphertexts]);
    await client.query('COMMIT');
    counts.rotated += ids.length;
    return rows.at(-1)?.id;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Re-encrypts every stored ciphertext that is not under the newest key, table by table, in batches that
 * each commit on their own. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so the API keeps running
 * beside it; a run that stops early is resumed by running again (rows on the newest key are not selected).
 * Rotation leaves `updated_at` alone: the value did not change.
 */
export async function rotateVault(options: RotateOptions): Promise<RotationReport> {
  const report: RotationReport = { keyId: options.vault.currentKeyId, aborted: false, tables: {} as RotationReport['tables'] };
  for (const table of Object.keys(ENCRYPTED_TABLES) as EncryptedTable[]) {
    const counts: TableCounts = { scanned: 0, rotated: 0, failed: 0, remaining: 0 };
    report.tables[table] = counts;
    let after: string | undefined;
    while (!report.aborted) {
      if (options.signal?.aborted) {
        report.aborted = true;
        break;
      }
      const last = await rotateBatch(options, table, after, counts);
      if (last === undefined) break;
      after = last;
      options.onBatch?.(table, counts);
    }
    const { rows } = await options.pool.query<{ n: number }>(sql(table).remaining, [report.keyId]);
    counts.remaining = rows[0]?.n ?? 0;
    options.logger.info({ table, ...counts, keyId: report.keyId, aborted: report.aborted }, 'vault rotation: table done');
  }
  return report;
}
