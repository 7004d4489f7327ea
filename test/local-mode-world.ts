import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { ComposeOptions } from '../api/compose.ts';
import { LocalMachineDriver, type LocalMachineDriverOptions } from '../api/machines/local-driver.ts';
import { systemClock } from '../api/platform/clock.ts';
import { createLogger } from '../api/platform/logger.ts';
import { signUpUser, type TestUser } from './accounts.ts';
import { createTestHangar, type TestHangar } from './hangar.ts';

export { EVERYTHING_PACKAGE, EVERYTHING_VERSION } from '../runner/test-support.ts';

export interface LocalModeWorld {
  hangar: TestHangar;
  /** Where the app is served over real HTTP on 127.0.0.1 (also its public URL). */
  baseUrl: string;
  owner: TestUser;
  driver: LocalMachineDriver;
  dispose(): Promise<void>;
}

/**
 * Hangar in local mode, served over HTTP with its public URL equal to the served address (so printed MCP
 * URLs and the CSRF origin are real), the local driver polling health every 300 ms, and the reconciler
 * running on the wall clock with short intervals and a generous grace for `npx` to install the server.
 */
export async function createLocalModeWorld(
  options: Pick<ComposeOptions, 'clientMetadata'> & Pick<LocalMachineDriverOptions, 'serverCommand' | 'sandbox'> & { env?: Record<string, string> } = {},
): Promise<LocalModeWorld> {
  let app: { fetch(request: Request): Response | Promise<Response> } | undefined;
  const server: ServerType = serve({ fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })), port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const machinesDir = mkdtempSync(join(tmpdir(), 'hangar-local-'));
  // `serverCommand` (tests that need no npx round trip): the local driver runs it instead of `npx -y <pinned>`,
  // unsandboxed unless told otherwise, since node_modules is outside any sandbox's view.
  const driver = new LocalMachineDriver({
    dataDir: machinesDir,
    logger: createLogger({ level: 'silent' }),
    healthIntervalMs: 300,
    ...(options.serverCommand ? { serverCommand: options.serverCommand, sandbox: false as const } : {}),
    ...(options.sandbox !== undefined ? { sandbox: options.sandbox } : {}),
  });
  const hangar = await createTestHangar({
    clock: systemClock,
    driver,
    env: { HANGAR_PUBLIC_URL: baseUrl, ...options.env },
    clientMetadata: options.clientMetadata,
    reconciler: { intervalMs: 300, busyIntervalMs: 200, startGraceMs: 90_000, healthFailureThreshold: 2, restartBackoffBaseMs: 200 },
  });
  app = hangar.app;
  const owner = await signUpUser(hangar, { verified: true });
  hangar.services.reconciler.start();
  return {
    hangar,
    baseUrl,
    owner,
    driver,
    async dispose() {
      await new Promise((r) => server.close(r));
      await hangar.dispose();
      rmSync(machinesDir, { recursive: true, force: true });
    },
  };
}
