import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFernetKey } from '../../api/vault/fernet.ts';
import { startDedicatedPostgres, type DedicatedPostgres } from './dedicated-postgres.ts';
import { startHangarProcess, type HangarProcess } from './hangar-process.ts';
import { jsonRequest, signUpOverHttp, type HttpUser } from './http-user.ts';
import { TrafficLoop, waitFor, type Sample } from './traffic.ts';

/**
 * PostgreSQL stopped and started again under a real Hangar process with traffic running: meanwhile the API
 * answers 503 (readiness with a reason, every other route `database_unavailable`), never a 500 or a stack
 * trace, and stays up; afterwards it serves again by itself and every committed sign-up is still there.
 * `npm run test:soak` sets FAULT_ROUNDS for more stop/start cycles.
 */
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 1);
const ORIGIN = 'http://localhost:8080';

let db: DedicatedPostgres;
let hangar: HangarProcess;
let dataDir: string;

beforeAll(async () => {
  db = await startDedicatedPostgres();
  dataDir = mkdtempSync(join(tmpdir(), 'hangar-fault-a-'));
  hangar = await startHangarProcess({
    DATABASE_URL: db.url,
    FERNET_KEYS: generateFernetKey(),
    HANGAR_DATA_DIR: dataDir,
    HANGAR_PUBLIC_URL: ORIGIN,
    LOG_LEVEL: 'info',
    HANGAR_RATE_LIMIT_PER_MINUTE: '1000000',
    HANGAR_LOGIN_LIMIT_PER_IP: '100000',
    HANGAR_RECONCILE_INTERVAL_MS: '200',
  });
});
afterAll(async () => {
  await hangar?.kill('SIGTERM');
  await db?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** What the server logged about these requests (besides the access line), for failure messages. */
function serverLines(samples: Sample[]): string {
  const ids = samples.map((s) => (s.body as { error?: { requestId?: string } } | undefined)?.error?.requestId).filter((id): id is string => !!id);
  return hangar.output().split('\n').filter((line) => ids.some((id) => line.includes(id)) && !line.includes('"msg":"request"')).join('\n');
}

function errorShaped(s: Sample): boolean {
  const e = (s.body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)?.error;
  return typeof e?.code === 'string' && typeof e.message === 'string' && typeof e.requestId === 'string';
}

describe('PostgreSQL restarted mid-run', () => {
  it(`answers 503 while it is down and recovers by itself (${ROUNDS} round(s)), losing no committed data`, async () => {
    const base = hangar.url;
    const users: HttpUser[] = await Promise.all([0, 1, 2].map(() => signUpOverHttp(base, ORIGIN)));
    const signedUp: Array<{ email: string; password: string }> = [];
    const traffic = new TrafficLoop();
    traffic.start(4, (w, i) => {
      const user = users[(w + i) % users.length]!;
      switch (i % 5) {
        case 0: {
          const cred = { email: `pgfault-${w}-${i}-${Date.now()}@example.com`, password: `Pw-fault-${w}-${i}-long-enough` };
          return {
            op: 'signup',
            send: async () => {
              const res = await fetch(`${base}/v1/auth/signup`, jsonRequest('POST', {}, cred));
              if (res.status === 201) signedUp.push(cred);
              return res;
            },
          };
        }
        case 1:
          return { op: 'login', send: () => fetch(`${base}/v1/auth/login`, jsonRequest('POST', {}, { email: user.email, password: user.password })) };
        case 2:
          return { op: 'me', send: () => fetch(`${base}/v1/me`, { headers: user.headers }) };
        case 3:
          return { op: 'list', send: () => fetch(`${base}/v1/teams/${user.teamId}/deployments`, { headers: user.headers }) };
        default:
          return { op: 'readyz', send: () => fetch(`${base}/readyz`) };
      }
    });

    const ready = async () => (await fetch(`${base}/readyz`)).status === 200;
    await new Promise((r) => setTimeout(r, 1_000));
    for (let round = 0; round < ROUNDS; round += 1) {
      traffic.phase = `stopping-${round}`;
      await db.stop();
      const down = await fetch(`${base}/readyz`);
      expect([down.status, await down.json()]).toEqual([503, { status: 'unavailable', reason: 'database unreachable' }]);
      traffic.phase = `down-${round}`;
      await new Promise((r) => setTimeout(r, 1_500));
      traffic.phase = `restarting-${round}`;
      await db.start();
      await waitFor('readiness after the restart', ready, 20_000);
      // Give the pool a moment to replace every dead connection, then measure steady service again.
      await new Promise((r) => setTimeout(r, 300));
      traffic.phase = `up-${round}`;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await traffic.stop();

    // The same process served throughout.
    expect(hangar.alive()).toBe(true);
    const all = traffic.samples;
    expect(all.filter((s) => s.status === 0).map((s) => `${s.op} ${s.phase} ${s.text}`)).toEqual([]);
    expect(all.filter((s) => s.status >= 500 && s.status !== 503).map((s) => `${s.op} ${s.phase} ${s.status} ${s.text}`)).toEqual([]);
    expect(all.filter((s) => /\n\s+at |node_modules|Prisma|ECONNREFUSED/.test(s.text)).map((s) => s.text)).toEqual([]);
    for (let round = 0; round < ROUNDS; round += 1) {
      // While it was down: only 503s, shaped like every error, naming the database (readiness: its own shape).
      const down = traffic.in(`down-${round}`);
      expect(down.length).toBeGreaterThan(10);
      expect(new Set(down.map((s) => s.status))).toEqual(new Set([503]));
      const api = down.filter((s) => s.op !== 'readyz');
      expect(api.every(errorShaped)).toBe(true);
      expect(new Set(api.map((s) => (s.body as { error: { code: string } }).error.code))).toEqual(new Set(['database_unavailable']));
      expect(down.filter((s) => s.op === 'readyz').map((s) => s.body)).toContainEqual({ status: 'unavailable', reason: 'database unreachable' });
      // After the restart: everything answers as it did before, with no restart of the API.
      const up = traffic.in(`up-${round}`);
      expect(up.length).toBeGreaterThan(10);
      const failed = up.filter((s) => s.status !== 200 && s.status !== 201);
      expect(failed.map((s) => `${s.op} ${s.status} ${s.text}`), `round ${round}; the server said:\n${serverLines(failed)}`).toEqual([]);
    }
    // Any error answer in the transitions was a 503 with the error shape (or readiness's own).
    expect(all.filter((s) => s.status === 503 && s.op !== 'readyz' && !errorShaped(s)).map((s) => s.text)).toEqual([]);

    // No committed data lost: every sign-up that was answered 201 exists and can log in.
    expect(signedUp.length).toBeGreaterThan(5);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = await client.query<{ email: string }>('SELECT email FROM users WHERE email = ANY($1)', [signedUp.map((u) => u.email)]);
      expect(rows.rows.map((r) => r.email).sort()).toEqual(signedUp.map((u) => u.email).sort());
    } finally {
      await client.end();
    }
    for (const cred of signedUp.slice(0, 5)) {
      expect((await fetch(`${base}/v1/auth/login`, jsonRequest('POST', {}, cred))).status).toBe(200);
    }
    // The server logged no unhandled error: every failure was recognised as the database being away.
    expect(hangar.output()).not.toContain('"unhandled error"');
  }, 60_000 + ROUNDS * 30_000);
});
