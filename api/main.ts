import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { loadConfig } from './config/config.ts';
import { describeStartupError } from './config/startup-error.ts';
import { composeHangar } from './compose.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(`${describeStartupError(error)}\n`);
    process.exit(1);
  }

  let hangar;
  try {
    hangar = await composeHangar(config);
  } catch (error) {
    process.stderr.write(`${describeStartupError(error)}\n`);
    process.exit(1);
  }
  const { logger } = hangar.services;
  if (config.reconciler.enabled) hangar.services.reconciler.start();

  const server = serve({ fetch: hangar.app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info({ url: `http://${config.host}:${info.port}`, publicUrl: config.publicUrl }, 'Hangar is listening');
    process.stdout.write(`Hangar listening on http://${config.host}:${info.port} (docs: ${config.publicUrl}/docs)\n`);
  }) as Server;

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
