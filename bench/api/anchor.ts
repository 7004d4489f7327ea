/**
 * The anchor of `npm run bench:api`: a bare Hono app on @hono/node-server from the same node_modules,
 * answering `GET /healthz` and `GET /v1/me` with small JSON. Prints `{"port":N}` once listening.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/healthz', (c) => c.json({ status: 'ok' }));
app.get('/v1/me', (c) => c.json({ id: 'usr_anchor', email: 'anchor@example.com' }));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
server.once('listening', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
