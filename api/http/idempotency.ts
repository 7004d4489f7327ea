import type { Context } from 'hono';
import type { Prisma } from '../db/generated/client.ts';
import type { AppEnv } from './context.ts';
import { ConflictError, PolicyError, UnauthorizedError, ValidationError } from './errors.ts';

const KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
const TTL_MS = 24 * 60 * 60 * 1000;

export interface IdempotentResult {
  status: number;
  payload: unknown;
}

/**
 * Runs `fn` once per `Idempotency-Key` (per caller and `scope`) for 24 hours: a retry with the same key and
 * body replays the first answer (header `Idempotent-Replayed: true`); the same key with another body is 422;
 * a retry while the first is still running is 409. Without the header, `fn` just runs. Failures are not
 * stored, so a failed request can be retried with the same key.
 */
export async function withIdempotency(
  c: Context<AppEnv>,
  scope: string,
  body: unknown,
  fn: () => Promise<IdempotentResult>,
): Promise<IdempotentResult> {
  const key = c.req.header('idempotency-key');
  if (key === undefined) return fn();
  if (!KEY.test(key)) throw new ValidationError('Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ . : -', [{ path: 'Idempotency-Key', message: 'invalid' }]);
  const principal = c.get('principal');
  if (!principal) throw new UnauthorizedError();
  const { db, clock } = c.get('services');
  const fullScope = `${principal.userId}:${scope}`;
  // Keyed, so a stored hash of a body with inline secrets cannot be used to guess them offline.
  const requestHash = c.get('services').vault.keyedDigest(JSON.stringify(body ?? null));
  const now = clock.now();

  await db.idempotencyRecord.deleteMany({ where: { scope: fullScope, key, expiresAt: { lt: now } } });
  const claimed = await db.idempotencyRecord.createMany({
    data: [{ scope: fullScope, key, requestHash, status: 0, body: {}, createdAt: now, expiresAt: new Date(now.getTime() + TTL_MS) }],
    skipDuplicates: true,
  });
  if (claimed.count === 0) {
    const existing = await db.idempotencyRecord.findUnique({ where: { scope_key: { scope: fullScope, key } } });
    if (!existing) throw new ConflictError('The request with this Idempotency-Key is still in progress', 'idempotency_in_progress');
    if (existing.requestHash !== requestHash) {
      throw new PolicyError('This Idempotency-Key was used with a different request body', 'idempotency_key_reused');
    }
    if (existing.status === 0) throw new ConflictError('The request with this Idempotency-Key is still in progress', 'idempotency_in_progress');
    c.header('Idempotent-Replayed', 'true');
    return { status: existing.status, payload: existing.body };
  }
  try {
    const result = await fn();
    await db.idempotencyRecord.update({
      where: { scope_key: { scope: fullScope, key } },
      data: { status: result.status, body: result.payload as Prisma.InputJsonValue },
    });
    return result;
  } catch (error) {
    await db.idempotencyRecord.delete({ where: { scope_key: { scope: fullScope, key } } }).catch(() => undefined);
    throw error;
  }
}
