import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../api/db/embedded.ts';

/**
 * An embedded PostgreSQL of a fault test's own (the run's shared one must never be stopped), which the
 * test can stop and start again on the same port and data directory, as an operator's restart would.
 */
export interface DedicatedPostgres {
  port: number;
  /** Loopback URL of the `hangar` database (plaintext: loopback is allowed, with sslmode=disable). */
  url: string;
  /** Fast shutdown (SIGINT): open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  close(): Promise<void>;
}

const FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];

/** Initialises and starts a throwaway PostgreSQL cluster on a free loopback port, with a `hangar` database. */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-faultdb-'));
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbeddedPostgres({ dataDir, database: 'hangar', port, postgresFlags: FLAGS, listen: 'tcp' });
  const url = `${server.url('hangar')}?sslmode=disable`;
  return {
    port,
    url,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      if (server) return;
      server = await startEmbeddedPostgres({ dataDir, database: 'hangar', port, postgresFlags: FLAGS, listen: 'tcp' });
    },
    async close() {
      await server?.stop().catch(() => undefined);
      server = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
