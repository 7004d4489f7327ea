import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.ts';
import { composeHangar } from '../compose.ts';
import { createTestDatabase } from '../../test/db.ts';
import { LogCapture } from '../../test/hangar.ts';
import { createLogger } from '../platform/logger.ts';
import { createPool, externalPoolConfig } from './pool.ts';
import { generateFernetKey } from '../vault/fernet.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

/** The test database's URL with `host` and `sslmode` swapped in. */
function tlsUrl(host: string, sslmode: string): string {
  const url = new URL(db.url);
  url.hostname = host;
  url.searchParams.set('sslmode', sslmode);
  return url.toString();
}

function externalConfig(env: Record<string, string>) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', FERNET_KEYS: generateFernetKey(), ...env });
  if (config.database.kind !== 'external') throw new Error('expected an external database');
  return config;
}

describe('PostgreSQL over TLS (server with ssl=on, certificate from a CA made at test time)', () => {
  it('connects with verify-full and the right CA, and the session is encrypted', async () => {
    const config = externalConfig({ DATABASE_URL: tlsUrl('localhost', 'verify-full'), DATABASE_CA_CERT: inject('pgCaCertFile') });
    const pool = createPool(externalPoolConfig(config.database as Extract<typeof config.database, { kind: 'external' }>), createLogger({ level: 'silent' }), 2);
    try {
      const result = await pool.query('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(result.rows[0]).toMatchObject({ ssl: true });
      expect(String(result.rows[0].version)).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await pool.end();
    }
  });

  it('accepts the CA as PEM text as well as a file path', () => {
    const config = externalConfig({ DATABASE_URL: tlsUrl('localhost', 'verify-full'), DATABASE_CA_CERT: inject('pgCaCert') });
    expect(config.database).toMatchObject({ kind: 'external', ca: readFileSync(inject('pgCaCertFile'), 'utf8'), insecure: false });
  });

  it('refuses a server whose certificate does not chain to the configured CA', async () => {
    const config = externalConfig({ DATABASE_URL: tlsUrl('localhost', 'verify-full'), DATABASE_CA_CERT: inject('pgOtherCaCertFile') });
    const pool = createPool(externalPoolConfig(config.database as Extract<typeof config.database, { kind: 'external' }>), createLogger({ level: 'silent' }), 1);
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    } finally {
      await pool.end();
    }
  });

  it('refuses a server whose certificate does not name the host (verify-full checks the name)', async () => {
    // Same server and trusted CA, reached as 127.0.0.2, which the certificate (localhost, 127.0.0.1) does not name.
    const config = externalConfig({ DATABASE_URL: tlsUrl('127.0.0.2', 'verify-full'), DATABASE_CA_CERT: inject('pgCaCertFile') });
    const pool = createPool(externalPoolConfig(config.database as Extract<typeof config.database, { kind: 'external' }>), createLogger({ level: 'silent' }), 1);
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow(/IP: 127\.0\.0\.2 is not in the cert's list/);
    } finally {
      await pool.end();
    }
  });

  it('refuses sslmode=disable to a non-loopback host at start, naming the setting', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:p@db.internal.example:5432/hangar?sslmode=disable' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'postgres://u:p@db.internal.example:5432/hangar?sslmode=require' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^DATABASE_URL: sslmode=require does not verify the server .* HANGAR_ALLOW_INSECURE_DB=true/),
      ]);
      expect((error as Error).message).not.toContain(':p@');
    }
  });

  it('allows an unverified connection to a remote host only with HANGAR_ALLOW_INSECURE_DB=true, and warns', async () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db.internal.example:5432/hangar?sslmode=disable',
      HANGAR_ALLOW_INSECURE_DB: 'true',
    });
    expect(config.database).toMatchObject({ kind: 'external', insecure: true });
  });

  it('composes a whole Hangar over verify-full TLS and reports ready', async () => {
    const config = externalConfig({ DATABASE_URL: tlsUrl('localhost', 'verify-full'), DATABASE_CA_CERT: inject('pgCaCertFile') });
    const logs = new LogCapture();
    const hangar = await composeHangar(config, { logDestination: logs });
    try {
      const res = await hangar.app.request('/readyz');
      expect(res.status).toBe(200);
      const ssl = await hangar.services.pool.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(ssl.rows[0].ssl).toBe(true);
    } finally {
      await hangar.close();
    }
  });
});
