/** Over a real socket: what a client with a keep-alive connection sees after Hangar refuses an oversized body. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { expect, it } from 'vitest';
import { createTestHangar } from '../../test/hangar.ts';

it('closes the connection after a 413, so a kept-alive client’s next request is answered normally', async () => {
  const hangar = await createTestHangar({ env: { HANGAR_BODY_LIMIT_BYTES: '2048' } });
  const server = serve({ fetch: hangar.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; conn: string | undefined }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, conn: res.headers.connection }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const big = await send('POST', '/v1/auth/login', JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(100_000) }));
  const next = await send('GET', '/healthz');
  expect(big).toEqual({ status: 413, conn: 'close' });
  expect(next.status).toBe(200);
  agent.destroy();
  server.close();
  await hangar.dispose();
});
