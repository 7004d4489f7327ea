import type { Context } from 'hono';
import { clientIp } from '../auth/request-meta.ts';
import type { AppEnv } from '../http/context.ts';
import type { AuditEvent } from './audit-log.ts';

/**
 * Who and where, from the request: the acting user and key, client IP and request id. Spread it into
 * `audit.record({ ...auditActor(c), action, resourceType, ... })`.
 */
export function auditActor(c: Context<AppEnv>): Pick<AuditEvent, 'actorUserId' | 'actorKeyId' | 'ip' | 'requestId'> {
  const principal = c.get('principal');
  return {
    actorUserId: principal?.userId ?? null,
    actorKeyId: principal?.keyId ?? null,
    ip: clientIp(c) ?? null,
    requestId: c.get('requestId') ?? null,
  };
}
