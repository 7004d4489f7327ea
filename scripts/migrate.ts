/**
 * Applies pending migrations and exits: Fly's release command, and what an operator runs by hand.
 * Uses the same configuration and TLS rules as the API.
 */
import { loadConfig } from '../api/config/config.ts';
import { describeStartupError } from '../api/config/startup-error.ts';
import { migrate } from '../api/db/migrate.ts';
import { createPool, externalPoolConfig } from '../api/db/pool.ts';
import { createLogger } from '../api/platform/logger.ts';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.database.kind !== 'external') {
    process.stdout.write('No DATABASE_URL: the embedded database is migrated when Hangar starts.\n');
    return;
  }
  const logger = createLogger({ level: config.logLevel });
  const pool = createPool(externalPoolConfig(config.database), logger, 1);
  try {
    const applied = await migrate(pool);
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n');
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${describeStartupError(error)}\n`);
  process.exit(1);
});
