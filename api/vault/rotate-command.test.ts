import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestDatabase } from '../../test/db.ts';
import { createLogger } from '../platform/logger.ts';
import { generateFernetKey } from './fernet.ts';
import { createKeyRing } from './keyring.ts';
import { describeRotateError, formatRotationReport, parseRotateArgs, runningEmbeddedUrl, runVaultRotate } from './rotate-command.ts';
import { Vault } from './vault.ts';

const [NEW, OLD] = [generateFernetKey(), generateFernetKey()];
const silent = createLogger({ level: 'silent' });
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`INSERT INTO teams (id, slug, name, updated_at) VALUES ('team_1', 't1', 'T1', now())`);
});
afterAll(async () => {
  await db.drop();
});

async function seedOld(ids: string[]): Promise<void> {
  const old = new Vault(createKeyRing([OLD]));
  for (const id of ids) {
    const s = old.encrypt(`value-${id}`);
    await db.pool.query(
      `INSERT INTO credentials (id, scope, team_id, name, ciphertext, key_id, updated_at) VALUES ($1, 'team', 'team_1', $1, $2, $3, now())`,
      [id, s.ciphertext, s.keyId],
    );
  }
}

function envFor(keys: string[]): Record<string, string> {
  return { DATABASE_URL: `${db.url}?sslmode=verify-full`, DATABASE_CA_CERT: inject('pgCaCertFile'), FERNET_KEYS: keys.join(','), LOG_LEVEL: 'silent' };
}

describe('runVaultRotate', () => {
  it('loads config and keys like the API, connects over verified TLS and rotates', async () => {
    await seedOld(['c_a', 'c_b', 'c_c']);
    const report = await runVaultRotate({ env: envFor([NEW, OLD]), argv: ['--batch-size=2'], logger: silent });
    expect(report.tables.credentials).toEqual({ scanned: 3, rotated: 3, failed: 0, remaining: 0 });
    expect(formatRotationReport(report)).toContain('done: every stored value is under the newest key');
    const { rows } = await db.pool.query(`SELECT DISTINCT key_id FROM credentials`);
    expect(rows).toEqual([{ key_id: createKeyRing([NEW]).current.id }]);
  });

  it('refuses an external database without FERNET_KEYS, and bad arguments', async () => {
    const env = { ...envFor([]), FERNET_KEYS: undefined };
    await expect(runVaultRotate({ env, logger: silent })).rejects.toThrow(/FERNET_KEYS is required with an external database/);
    expect(() => parseRotateArgs(['--batch-size', '0'])).toThrow('--batch-size must be a whole number from 1 to 10000');
    expect(() => parseRotateArgs(['--all'])).toThrow('unknown argument --all');
    expect(parseRotateArgs(['--batch-size', '50'])).toEqual({ batchSize: 50 });
    expect(describeRotateError(Object.assign(new Error('relation "x" does not exist'), { code: '42P01' }))).toMatch(/no Hangar tables/);
    expect(describeRotateError(Object.assign(new Error('password=hunter2'), { code: '28P01' }))).toBe('Error (code 28P01)');
  });

  it('npm run vault:rotate exits 0 when done and prints the counts', async () => {
    await seedOld(['s_a', 's_b']);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/vault-rotate.ts', '--batch-size', '1'], {
      env: { ...process.env, ...envFor([NEW, OLD]) },
    });
    expect(stdout).toContain('credentials      scanned 2, rotated 2, failed 0, remaining 0');
    const failed = await run(process.execPath, ['--import', 'tsx', 'scripts/vault-rotate.ts'], { env: { ...process.env, ...envFor(['nope']) } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('vault:rotate failed: FERNET_KEYS: key 1 of 1 is not a Fernet key');
  });
});

describe('runningEmbeddedUrl', () => {
  it('reads the port of a live postmaster and the generated password, and ignores a dead one', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hangar-rotate-'));
    try {
      mkdirSync(join(dataDir, 'postgres'));
      writeFileSync(join(dataDir, 'postgres.password'), 'p/w+x\n');
      const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
      writeFileSync(pidFile, `${process.pid}\n${dataDir}/postgres\n1764000000\n54321\n\n127.0.0.1\n`);
      expect(runningEmbeddedUrl(dataDir)).toBe('postgres://hangar:p%2Fw%2Bx@127.0.0.1:54321/hangar');
      writeFileSync(pidFile, `${process.pid}\n${dataDir}/postgres\n1764000000\n54321\n${dataDir}/run\n\n`);
      expect(runningEmbeddedUrl(dataDir)).toBe(`postgres://hangar:p%2Fw%2Bx@/hangar?host=${encodeURIComponent(`${dataDir}/run`)}&port=54321`);
      writeFileSync(pidFile, `999999999\n${dataDir}/postgres\n1764000000\n54321\n`);
      expect(runningEmbeddedUrl(dataDir)).toBeUndefined();
      rmSync(pidFile);
      expect(runningEmbeddedUrl(dataDir)).toBeUndefined();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
