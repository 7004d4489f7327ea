import { ConfigError } from './config.ts';
import { MigrationError } from '../db/migrate.ts';
import { maskText } from '../platform/mask.ts';
import { UnsandboxedPublicHostError } from '../machines/sandbox/start-policy.ts';

/** Describes a start-up failure in one line an operator can act on, without a stack trace. */
export function describeStartupError(error: unknown): string {
  if (error instanceof ConfigError || error instanceof MigrationError || error instanceof UnsandboxedPublicHostError) return error.message;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') return `Cannot reach the database (${code}).`;
  if (code === '28P01' || code === '28000') return 'The database refused the credentials in DATABASE_URL.';
  if (/certificate|self[- ]signed|SSL|TLS/i.test(message)) {
    return 'The database server certificate could not be verified: set DATABASE_CA_CERT to the CA that signed it.';
  }
  if (/does not support SSL/i.test(message)) return 'The database server does not offer TLS, which Hangar requires.';
  return `Start-up failed: ${maskText(message.split('\n')[0] ?? '')}`;
}
