import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../api/db/embedded.ts';
import { migrate } from '../api/db/migrate.ts';
import { makeTestPki } from './tls.ts';

export const TEMPLATE_DB = 'hangar_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's embedded PostgreSQL, with `{db}` where the database name goes. */
    pgUrlTemplate: string;
    pgPort: number;
    /** PEM of the CA that signed the server certificate (the server has ssl=on). */
    pgCaCert: string;
    pgCaCertFile: string;
    pgOtherCaCertFile: string;
  }
}

/**
 * One embedded PostgreSQL for the whole run, with TLS on (certificate from a CA made now), and a template
 * database migrated once; every test file clones its own database from it (test/db.ts).
 */
export default async function setup(project: TestProject) {
  const pki = makeTestPki();
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-testdb-'));
  const server = await startEmbeddedPostgres({
    dataDir,
    database: TEMPLATE_DB,
    // TCP (not the local mode's unix socket): the TLS tests connect over it.
    listen: 'tcp',
    postgresFlags: [
      '-c', 'ssl=on',
      // 127.0.0.2 is not in the certificate: the TLS test proves verify-full checks the host name.
      '-c', 'listen_addresses=127.0.0.1,127.0.0.2',
      '-c', `ssl_cert_file=${pki.serverCertFile}`,
      '-c', `ssl_key_file=${pki.serverKeyFile}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=300',
    ],
  });
  const pool = new pg.Pool({ connectionString: server.url(TEMPLATE_DB), max: 1 });
  await migrate(pool);
  await pool.end();

  project.provide('pgUrlTemplate', server.url('{db}'));
  project.provide('pgPort', server.port);
  project.provide('pgCaCert', pki.caCert);
  project.provide('pgCaCertFile', pki.caCertFile);
  project.provide('pgOtherCaCertFile', pki.otherCaCertFile);

  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  };
}
