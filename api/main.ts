import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { ConfigError, loadConfig } from './config/config.ts';
import { composeHangar } from './compose.ts';
import { MigrationError } from './db/migrate.ts';

/** Describes a start-up failure in one line an operator can act on, without a stack trace. */
function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof MigrationError) return error.message;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') return `Cannot reach the database (${code}).`;
  if (code === '28P01' || code === '28000') return 'The database refused the credentials in DATABASE_URL.';
  if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) {
    return 'The database server certificate could not be verified: set DATABASE_CA_CERT to the CA that signed it.';
  }
  if (/does not support SSL/i.test(message)) return 'The database server does not offer TLS, which Hangar requires.';
  return `Start-up failed: ${message.split('\n')[0]}`;
}

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
