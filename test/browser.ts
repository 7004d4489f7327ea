import { createServer, type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { createTestHangar, type TestHangar } from './hangar.ts';

/** Debian's chromium (installed by .ci/run), driven by playwright-core. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A test Hangar listening on a real loopback socket whose public URL is that socket, for a real browser. */
export interface ServedHangar {
  hangar: TestHangar;
  /** `http://127.0.0.1:<port>`: the public URL, the CSRF-trusted origin, and the origin of every mailed link. */
  baseUrl: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts a test Hangar (its own database) behind a real HTTP server; `env` as for createTestHangar. */
export async function createServedHangar(env: Record<string, string> = {}): Promise<ServedHangar> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const hangar = await createTestHangar({ env: { HANGAR_PUBLIC_URL: baseUrl, ...env } });
  const server = serve({ fetch: hangar.app.fetch, port, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    hangar,
    baseUrl,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await hangar.dispose();
    },
  };
}

/** A headless chromium; close it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
}
