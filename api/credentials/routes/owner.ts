import type { Context } from 'hono';
import { auditActor } from '../../audit/audit-context.ts';
import { requireAuth } from '../../auth/permissions.ts';
import type { Credential } from '../../db/generated/client.ts';
import type { AppEnv } from '../../http/context.ts';
import { decodeCursor, encodeCursor } from '../../http/cursor.ts';
import type { CredentialDeps, CredentialOwner } from '../service.ts';

export type Tier = 'team' | 'user';

/** The owner a request acts for: the team its guard resolved, or the signed-in user. */
export function ownerOf(c: Context<AppEnv>, tier: Tier): CredentialOwner {
  return tier === 'team' ? { scope: 'team', teamId: c.get('teamAccess').team.id } : { scope: 'user', userId: requireAuth(c).userId };
}

/** The service dependencies, from the request's services. */
export function depsOf(c: Context<AppEnv>): CredentialDeps {
  const { db, vault, clock } = c.get('services');
  return { db, vault, clock };
}

/** Records a credential change in the audit log: name, scope and key id, never the value. */
export async function auditCredential(c: Context<AppEnv>, action: 'create' | 'update' | 'delete', row: Credential): Promise<void> {
  await c.get('services').audit.record({
    ...auditActor(c),
    action: `credential.${action}`,
    resourceType: 'credential',
    resourceId: row.id,
    teamId: row.teamId,
    data: { name: row.name, scope: row.scope, keyId: row.keyId },
  });
}

/** Cursor = base64url of the last name shown; opaque to clients. */
export function writeCursor(name: string | null): string | null {
  return name === null ? null : encodeCursor(name);
}

/** Reads a cursor made by `writeCursor`; 400 for anything else. */
export function readCursor(cursor: string | undefined): string | undefined {
  return decodeCursor(cursor, /^[A-Z_][A-Z0-9_]{0,127}$/);
}
