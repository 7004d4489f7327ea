import type { Db } from '../db/pool.ts';
import type { Prisma } from '../db/generated/client.ts';
import { SECRET_NAME } from '../platform/mask.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEvent {
  /** Dotted verb, e.g. `auth.login`, `team.member.remove`, `key.create`, `credential.update`. */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  teamId?: string | null;
  actorUserId?: string | null;
  actorKeyId?: string | null;
  outcome?: AuditOutcome;
  ip?: string | null;
  requestId?: string | null;
  /** Non-secret facts (names, roles, scopes). Keys that look secret are dropped before storing. */
  data?: Record<string, unknown>;
}

/** The append-only security and change record. `record` never throws into the caller's request. */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/** Drops every key that looks secret, at any depth, so a careless caller cannot store a secret value. */
export function scrubAuditData(data: unknown, depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (Array.isArray(data)) return data.map((item) => scrubAuditData(item, depth + 1));
  if (data && typeof data === 'object' && !(data instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(data)) {
      if (!SECRET_NAME.test(key)) out[key] = scrubAuditData(value, depth + 1);
    }
    return out;
  }
  return data;
}

/** Audit log over the `audit_log` table, timed by `clock`. A failed write is logged, never thrown. */
export function createAuditLog(db: Db, clock: Clock, logger: Logger): AuditLog {
  return {
    async record(event) {
      try {
        await db.auditEntry.create({
          data: {
            action: event.action,
            resourceType: event.resourceType,
            resourceId: event.resourceId ?? null,
            teamId: event.teamId ?? null,
            actorUserId: event.actorUserId ?? null,
            actorKeyId: event.actorKeyId ?? null,
            outcome: event.outcome ?? 'success',
            ip: event.ip ?? null,
            requestId: event.requestId ?? null,
            data: scrubAuditData(event.data ?? {}) as Prisma.InputJsonValue,
            createdAt: clock.now(),
          },
        });
      } catch (error) {
        logger.error({ err: error, action: event.action }, 'audit write failed');
      }
    },
  };
}
