import { getRequestListener } from '@hono/node-server';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from './config/config.ts';
import { describeStartupError } from './config/startup-error.ts';
import { composeHangar } from './compose.ts';
import { detectSandbox } from './machines/sandbox/detect.ts';
import { localStartPolicy, NO_SANDBOX_HINT, type StartPolicy } from './machines/sandbox/start-policy.ts';

function fail(error: unknown): never {
  process.stderr.write(`${describeStartupError(error)}\n`);
  process.exit(1);
}

/** Until the app is built, the bound port answers 503: the listening line is printed only once it is ready. */
function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
  res.end('{"error":{"code":"starting","message":"Hangar is starting","requestId":"none"}}');
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    fail(error);
  }

  // Local mode without the sandbox: loopback only, first account only (api/machines/sandbox/start-policy.ts).
  let policy: StartPolicy;
  try {
    policy = localStartPolicy({ driver: config.fly.driver, sandboxed: detectSandbox(process.env.PATH) !== undefined, host: config.host, hostGiven: process.env.HOST !== undefined });
  } catch (error) {
    fail(error);
  }
  if (policy.host !== config.host) config = loadConfig({ ...process.env, HOST: policy.host });

  // The port is bound before anything is built, so `PORT=0` ("a free port") yields a real port that the
  // default public URL (mail links, MCP URLs, the CSRF origin) is then derived from.
  const server = createServer(starting);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    fail(error);
  }
  const port = (server.address() as AddressInfo).port;
  if (config.port === 0 && !process.env.HANGAR_PUBLIC_URL) {
    config = loadConfig({ ...process.env, HOST: config.host, PORT: String(port) });
  }

  let hangar;
  try {
    hangar = await composeHangar(config, { singleAccount: policy.singleAccount });
  } catch (error) {
    fail(error);
  }
  const { logger } = hangar.services;
  server.off('request', starting);
  server.on('request', getRequestListener(hangar.app.fetch, { hostname: config.host }));
  server.on('error', (error) => logger.error({ err: error }, 'server error'));
  if (config.reconciler.enabled) hangar.services.reconciler.start();
  if (policy.warnNoSandbox) {
    logger.warn({ install: 'apt-get install bubblewrap' }, NO_SANDBOX_HINT);
  } else if (config.fly.driver === 'local') {
    logger.info('every deployment runs in a bubblewrap sandbox of its own');
  }
  logger.info({ url: `http://${config.host}:${port}`, publicUrl: config.publicUrl }, 'Hangar is listening');
  process.stdout.write(`Hangar listening on http://${config.host}:${port} (docs: ${config.publicUrl}/docs)\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    await drained;
    clearTimeout(timer);
    await hangar.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

void main();
