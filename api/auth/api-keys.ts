import type { ApiKey } from '../db/generated/client.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../http/errors.ts';
import { hashToken, newId, newSecretToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import { assertUserKeyQuota } from '../users/quotas.ts';
import { hasScope } from './permissions.ts';
import type { Principal, Scope } from './principal.ts';

/** The longest grace period a rotated key stays valid: 24 hours. */
export const MAX_ROTATION_GRACE_SECONDS = 86_400;

/** What may be shown about a key after creation (never the key or its hash). */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  teamId: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  replacedById: string | null;
  createdAt: string;
}

/** Shapes a key row for responses. */
export function apiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    teamId: key.teamId,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    replacedById: key.replacedById,
    createdAt: key.createdAt.toISOString(),
  };
}

/**
 * A key may never grant more than the credential creating it: an API key can only mint keys with scopes
 * it covers, narrowed to its own team when it is narrowed; a team must be one the user belongs to.
 */
async function assertGrantable(services: Services, principal: Principal, scopes: Scope[], teamId: string | undefined): Promise<void> {
  for (const scope of scopes) {
    if (!hasScope(principal, scope)) throw new ForbiddenError(`Cannot grant the "${scope}" scope`, 'insufficient_scope');
  }
  if (principal.teamId && teamId !== principal.teamId) throw new ForbiddenError('This key may only create keys for its own team', 'insufficient_scope');
  if (teamId !== undefined) {
    // Also for "": an empty id names no team (404), it must not skip the check and reach the foreign key.
    const member = await services.db.membership.findUnique({ where: { teamId_userId: { teamId, userId: principal.userId } } });
    if (!member) throw new NotFoundError('Team');
  }
}

/** Creates a key for the caller; the plaintext `key` is returned once and only its SHA-256 is kept. */
export async function createApiKey(
  services: Services,
  principal: Principal,
  input: { name: string; scopes: Scope[]; teamId?: string | undefined; expiresAt?: Date | undefined },
  options: { rotation?: boolean } = {},
): Promise<{ key: string; row: ApiKey }> {
  const now = services.clock.now();
  if (input.expiresAt && input.expiresAt <= now) throw new ValidationError('Invalid body: expiresAt: must be in the future', [{ path: 'expiresAt', message: 'must be in the future' }]);
  await assertGrantable(services, principal, input.scopes, input.teamId);
  const key = newSecretToken('hgr_');
  // A rotation replaces a key (the old one expires within 24 h), so it is not held to the per-user key quota.
  const row = await services.db.$transaction(async (tx) => {
    if (!options.rotation) await assertUserKeyQuota(tx, principal.userId, services.config.userQuotas.apiKeys, now);
    return tx.apiKey.create({
      data: {
        id: newId('key'),
        userId: principal.userId,
        teamId: input.teamId ?? null,
        name: input.name,
        prefix: key.slice(0, 8),
        keyHash: hashToken(key),
        scopes: [...new Set(input.scopes)],
        expiresAt: input.expiresAt ?? null,
        createdAt: now,
      },
    });
  });
  return { key, row };
}

/** The caller's own key, or 404 (another user's key is indistinguishable from a missing one). */
export async function findOwnKey(services: Services, userId: string, keyId: string): Promise<ApiKey> {
  const key = await services.db.apiKey.findFirst({ where: { id: keyId, userId } });
  if (!key) throw new NotFoundError('API key');
  return key;
}

/** Revokes a key at once: the very next request with it is 401. */
export async function revokeApiKey(services: Services, userId: string, keyId: string): Promise<ApiKey> {
  const key = await findOwnKey(services, userId, keyId);
  if (key.revokedAt) return key;
  return services.db.apiKey.update({ where: { id: key.id }, data: { revokedAt: services.clock.now() } });
}

/**
 * Rotates a key: a new key with the same name, scopes, team and expiry; the old one keeps working for
 * `graceSeconds` (0..24 h) and is then expired. Revoked or expired keys cannot be rotated.
 */
export async function rotateApiKey(
  services: Services,
  principal: Principal,
  keyId: string,
  graceSeconds: number,
): Promise<{ key: string; row: ApiKey; previous: ApiKey }> {
  const old = await findOwnKey(services, principal.userId, keyId);
  const now = services.clock.now();
  if (old.revokedAt || (old.expiresAt && old.expiresAt <= now)) throw new NotFoundError('API key');
  const created = await createApiKey(services, principal, {
    name: old.name,
    scopes: old.scopes as Scope[],
    teamId: old.teamId ?? undefined,
    expiresAt: old.expiresAt ?? undefined,
  }, { rotation: true });
  const graceEnd = new Date(now.getTime() + Math.min(graceSeconds, MAX_ROTATION_GRACE_SECONDS) * 1000);
  const previous = await services.db.apiKey.update({
    where: { id: old.id },
    data: {
      replacedById: created.row.id,
      ...(graceSeconds === 0 ? { revokedAt: now } : { expiresAt: old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd }),
    },
  });
  return { ...created, previous };
}
