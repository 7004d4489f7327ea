import type { MiddlewareHandler } from 'hono';
import type { User } from '../db/generated/client.ts';
import { ForbiddenError, RateLimitedError } from '../http/errors.ts';
import type { AppEnv } from '../http/context.ts';
import { digestsEqual, hashToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import type { CachedCredential } from './credential-cache.ts';
import { LAST_USED_EVERY_MS } from './last-used.ts';
import { SCOPES, type Principal, type Scope } from './principal.ts';
import { readSessionToken } from './sessions.ts';
import { ACCESS_PREFIX, resolveAccessToken } from '../oauth/tokens.ts';
import { OAUTH_PATHS } from '../oauth/urls.ts';

/** What the request presented: nothing, something that does not identify an active user, or a principal. */
export type Authentication = { state: 'none' } | { state: 'invalid' } | { state: 'valid'; principal: Principal; /** The user row when the lookup already read it (keys and sessions), else absent. */ user?: User };

const KEY_SHAPE = /^hgr_[0-9a-z]{20,64}$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** OAuth endpoints called by clients (any origin) that act on no cookie: the CSRF rule has nothing to protect there. */
const CLIENT_ENDPOINTS = new Set<string>([OAUTH_PATHS.token, OAUTH_PATHS.register, OAUTH_PATHS.revoke]);
/** The only path an OAuth access token is good for: its deployment's MCP endpoint (RFC 8707 audience). */
const MCP_PATH = /^\/v1\/deployments\/(dep_[0-9a-z]{1,60})\/mcp$/;

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/**
 * Resolves an API key (`hgr_...`) or a session token to the acting principal. Keys are found by their
 * SHA-256 and compared in constant time; revoked, expired, or disabled-user credentials are `invalid`
 * on the very next request: the lookup is cached in process (api/auth/credential-cache.ts) only while
 * PostgreSQL notifications invalidate it on every instance, and expiry is checked against the clock each time.
 */
export async function resolvePrincipal(
  services: Services,
  presented: { apiKey?: string; sessionToken?: string },
): Promise<Authentication> {
  const now = services.clock.now();
  if (presented.apiKey !== undefined) {
    if (!KEY_SHAPE.test(presented.apiKey)) return { state: 'invalid' };
    const digest = hashToken(presented.apiKey);
    const found = await lookupCredential(services, digest, now, async () => {
      const row = await services.db.apiKey.findUnique({ where: { keyHash: digest }, include: { user: true } });
      return row ? { kind: 'key', key: row, user: row.user } : undefined;
    });
    if (found?.kind !== 'key' || !digestsEqual(found.key.keyHash, digest)) return { state: 'invalid' };
    const { key, user } = found;
    if (key.revokedAt || (key.expiresAt && key.expiresAt <= now) || user.disabledAt) return { state: 'invalid' };
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_EVERY_MS) {
      key.lastUsedAt = now;
      services.lastUsed.key(key.id, now);
    }
    return {
      state: 'valid',
      principal: {
        userId: key.userId,
        email: user.email,
        globalRole: user.globalRole,
        emailVerified: user.emailVerifiedAt !== null,
        via: 'api_key',
        sessionId: undefined,
        keyId: key.id,
        scopes: new Set(key.scopes.filter(isScope)),
        teamId: key.teamId ?? undefined,
      },
      user,
    };
  }
  if (presented.sessionToken !== undefined) {
    const digest = hashToken(presented.sessionToken);
    const found = await lookupCredential(services, digest, now, async () => {
      const row = await services.db.session.findUnique({ where: { tokenHash: digest }, include: { user: true } });
      return row ? { kind: 'session', session: row, user: row.user } : undefined;
    });
    if (found?.kind !== 'session' || !digestsEqual(found.session.tokenHash, digest)) return { state: 'invalid' };
    const { session, user } = found;
    if (session.expiresAt <= now || user.disabledAt) return { state: 'invalid' };
    if (now.getTime() - session.lastSeenAt.getTime() >= LAST_USED_EVERY_MS) {
      session.lastSeenAt = now;
      services.lastUsed.session(session.id, now);
    }
    return {
      state: 'valid',
      principal: {
        userId: session.userId,
        email: user.email,
        globalRole: user.globalRole,
        emailVerified: user.emailVerifiedAt !== null,
        via: 'session',
        sessionId: session.id,
        keyId: undefined,
        scopes: new Set(SCOPES),
        teamId: undefined,
      },
      user,
    };
  }
  return { state: 'none' };
}

/** The cached lookup of `digest`, or `load()` from the database (kept when no invalidation raced it). */
async function lookupCredential(
  services: Services,
  digest: string,
  now: Date,
  load: () => Promise<CachedCredential | undefined>,
): Promise<CachedCredential | undefined> {
  const cache = services.credentialCache;
  const cached = cache.get(digest, now.getTime());
  if (cached) return cached;
  const generation = cache.snapshot();
  const loaded = await load();
  if (loaded) cache.store(digest, loaded, generation, now.getTime());
  return loaded;
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
        ? bearer.startsWith(ACCESS_PREFIX)
          ? await resolveOAuthBearer(services, bearer, MCP_PATH.exec(c.req.path)?.[1])
          : await resolvePrincipal(services, { apiKey: bearer })
        : { state: 'invalid' }
      : await resolvePrincipal(services, { sessionToken });
    c.set('authentication', authentication);
    if (authentication.state === 'valid') c.set('principal', authentication.principal);

    if (!SAFE_METHODS.has(c.req.method) && !CLIENT_ENDPOINTS.has(c.req.path)) {
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
          { key: p.keyId ? `req:key:${p.keyId}` : p.grantId ? `req:grant:${p.grantId}` : `req:ses:${p.sessionId ?? p.userId}`, rule: { limit: limits.requestsPerMinute, windowSeconds: 60 } },
          { key: `req:usr:${p.userId}`, rule: { limit: limits.requestsPerMinutePerUser, windowSeconds: 60 } },
        ],
        services.clock.now(),
      );
      if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
    }
    await next();
  };
}

/**
 * An OAuth access token counts only on the MCP endpoint of the deployment it was issued for: anywhere else
 * (another deployment, the REST API) it is `invalid`, as if unknown. Hangar never forwards it to the runner.
 */
async function resolveOAuthBearer(services: Services, token: string, deploymentId: string | undefined): Promise<Authentication> {
  const principal = await resolveAccessToken(services, token, deploymentId);
  return principal ? { state: 'valid', principal } : { state: 'invalid' };
}

function getCookiePresent(cookieHeader: string | undefined): boolean {
  return cookieHeader !== undefined && /(?:^|;\s*)hangar_session=/.test(cookieHeader);
}
