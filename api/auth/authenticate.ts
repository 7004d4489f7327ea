import type { MiddlewareHandler } from 'hono';
import { ForbiddenError, RateLimitedError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { digestsEqual, hashToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import { SCOPES, type Principal, type Scope } from './principal.ts';
import { readSessionToken } from './sessions.ts';

/** What the request presented: nothing, something that does not identify an active user, or a principal. */
export type Authentication = { state: 'none' } | { state: 'invalid' } | { state: 'valid'; principal: Principal };

const KEY_SHAPE = /^hgr_[0-9a-z]{20,64}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LAST_USED_EVERY_MS = 60_000;

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Resolves an API key (`hgr_...`) or a session token to the acting principal. Keys are found by their
 * SHA-256 and compared in constant time; revoked, expired, or disabled-user credentials are `invalid`
 * on the very next request (nothing is cached).
 */
export async function resolvePrincipal(
  services: Services,
  presented: { apiKey?: string; sessionToken?: string },
): Promise<Authentication> {
  const now = services.clock.now();
  if (presented.apiKey !== undefined) {
    if (!KEY_SHAPE.test(presented.apiKey)) return { state: 'invalid' };
    const digest = hashToken(presented.apiKey);
    const key = await services.db.apiKey.findUnique({ where: { keyHash: digest }, include: { user: true } });
    if (!key || !digestsEqual(key.keyHash, digest)) return { state: 'invalid' };
    if (key.revokedAt || (key.expiresAt && key.expiresAt <= now) || key.user.disabledAt) return { state: 'invalid' };
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
      await services.db.apiKey.updateMany({
        where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(now.getTime() - LAST_USED_EVERY_MS) } }] },
        data: { lastUsedAt: now },
      });
    }
    return {
      state: 'valid',
      principal: {
        userId: key.userId,
        email: key.user.email,
        globalRole: key.user.globalRole,
        emailVerified: key.user.emailVerifiedAt !== null,
        via: 'api_key',
        sessionId: undefined,
        keyId: key.id,
        scopes: new Set(key.scopes.filter(isScope)),
        teamId: key.teamId ?? undefined,
      },
    };
  }
  if (presented.sessionToken !== undefined) {
    const digest = hashToken(presented.sessionToken);
    const session = await services.db.session.findUnique({ where: { tokenHash: digest }, include: { user: true } });
    if (!session || !digestsEqual(session.tokenHash, digest)) return { state: 'invalid' };
    if (session.expiresAt <= now || session.user.disabledAt) return { state: 'invalid' };
    if (now.getTime() - session.lastSeenAt.getTime() >= LAST_USED_EVERY_MS) {
      await services.db.session.updateMany({ where: { id: session.id }, data: { lastSeenAt: now } });
    }
    return {
      state: 'valid',
      principal: {
        userId: session.userId,
        email: session.user.email,
        globalRole: session.user.globalRole,
        emailVerified: session.user.emailVerifiedAt !== null,
        via: 'session',
        sessionId: session.id,
        keyId: undefined,
        scopes: new Set(SCOPES),
        teamId: undefined,
      },
    };
  }
  return { state: 'none' };
}

/**
 * Reads the request's credentials once and records the outcome (`c.get('authentication')`, and
 * `c.get('principal')` when valid). It never rejects by itself: each route's guard decides. It does apply
 * the CSRF rule (a state-changing request from a foreign Origin, or a cookie-authenticated one without an
 * Origin, is refused) and the per-credential request rate limit.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const services = c.get('services');
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const sessionToken = header ? undefined : readSessionToken(c);
    const authentication: Authentication = header
      ? bearer
        ? await resolvePrincipal(services, { apiKey: bearer })
        : { state: 'invalid' }
      : await resolvePrincipal(services, { sessionToken });
    c.set('authentication', authentication);
    if (authentication.state === 'valid') c.set('principal', authentication.principal);

    if (!SAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header('origin');
      const trusted = services.config.auth.trustedOrigins;
      if (origin !== undefined && !trusted.includes(origin)) throw new ForbiddenError('Request origin is not allowed', 'csrf_rejected');
      if (origin === undefined && !header && getCookiePresent(c.req.header('cookie'))) {
        throw new ForbiddenError('Cookie-authenticated requests that change state must carry an allowed Origin', 'csrf_rejected');
      }
    }

    if (authentication.state === 'valid') {
      const p = authentication.principal;
      // The credential's bucket and the user's, in one limiter transaction: a new key or session does not
      // reset the user's count, so a throttled user minting a key stays throttled.
      const limits = services.config.rateLimits;
      const decision = await services.rateLimiter.hitAll(
        [
          { key: p.keyId ? `req:key:${p.keyId}` : `req:ses:${p.sessionId ?? p.userId}`, rule: { limit: limits.requestsPerMinute, windowSeconds: 60 } },
          { key: `req:usr:${p.userId}`, rule: { limit: limits.requestsPerMinutePerUser, windowSeconds: 60 } },
        ],
        services.clock.now(),
      );
      if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
    }
    await next();
  };
}

function getCookiePresent(cookieHeader: string | undefined): boolean {
  return cookieHeader !== undefined && /(?:^|;\s*)hangar_session=/.test(cookieHeader);
}
