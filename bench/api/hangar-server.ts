/**
 * The Hangar side of `npm run bench:api`: a real Hangar (embedded PostgreSQL in a temporary data dir, the
 * default PostgreSQL rate-limit store with the per-key limit raised so nothing answers 429, logging at the
 * production default `info` to a discarded stdout), one verified user with an API key. Prints
 * `{"port":N,"key":"hgr_..."}` on fd 3 once ready; SIGTERM shuts it down (writing PROFILE_OUT first).
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { createServer } from 'node:http';
import { loadConfig } from '../../api/config/config.ts';
import { composeHangar } from '../../api/compose.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-api-'));
const config = loadConfig({
  ...process.env,
  HANGAR_DATA_DIR: dataDir,
  NODE_ENV: 'production',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  HANGAR_RATE_LIMIT_PER_MINUTE: process.env.HANGAR_RATE_LIMIT_PER_MINUTE ?? '1000000',
  HANGAR_PUBLIC_URL: 'http://127.0.0.1:8080',
  PORT: '0',
});
const hangar = await composeHangar(config);
const server = createServer(getRequestListener(hangar.app.fetch, { hostname: '127.0.0.1' }));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const signup = await fetch(`${base}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'Bench-password-123!' }) });
const { user } = (await signup.json()) as { user: { id: string } };
await hangar.services.db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: new Date() } });
const cookie = /hangar_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')?.[0] ?? '';
const keyRes = await fetch(`${base}/v1/me/keys`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, origin: config.publicUrl }, body: JSON.stringify({ name: 'bench', scopes: ['read'] }) });
const { key } = (await keyRes.json()) as { key: string };

// PROFILE_OUT=file: a CPU profile of the serving phase only (not startup, seeding or shutdown).
const profileOut = process.env.PROFILE_OUT;
const inspector = profileOut ? new Session() : undefined;
if (inspector) {
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.start');
}

const ready = createWriteStream('', { fd: 3 });
ready.end(`${JSON.stringify({ port: (server.address() as AddressInfo).port, key })}\n`);

process.on('SIGTERM', async () => {
  if (inspector && profileOut) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(profileOut, JSON.stringify(profile));
  }
  server.closeAllConnections();
  server.close();
  void hangar.close().finally(() => {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
