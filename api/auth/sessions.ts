import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/context.ts';
import { hashToken, newId, newSecretToken } from '../platform/ids.ts';
import type { Services } from '../services.ts';

/** The session cookie's name (declared in the OpenAPI security schemes as `session`). */
export const SESSION_COOKIE = 'hangar_session';
const SESSION_PREFIX = 'hgs_';

/**
 * Starts a session for `userId`: 160 random bits in the cookie, only its SHA-256 in the database, and an
 * absolute expiry of `config.auth.sessionTtlDays` (never extended by activity).
 */
export async function createSession(
  services: Services,
  userId: string,
  meta: { ip: string | undefined; userAgent: string | undefined },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = newSecretToken(SESSION_PREFIX);
  const now = services.clock.now();
  const expiresAt = new Date(now.getTime() + services.config.auth.sessionTtlDays * 86_400_000);
  const id = newId('ses');
  await services.db.session.create({
    data: { id, userId, tokenHash: hashToken(token), ip: meta.ip ?? null, userAgent: meta.userAgent ?? null, createdAt: now, lastSeenAt: now, expiresAt },
  });
  return { id, token, expiresAt };
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure unless the public URL is plain-http loopback. */
export function setSessionCookie(c: Context<AppEnv>, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: c.get('services').config.auth.cookieSecure,
    sameSite: 'Lax',
    path: '/',
    expires: expiresAt,
  });
}

/** Clears the session cookie in the browser (the session row is deleted separately). */
export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: c.get('services').config.auth.cookieSecure, httpOnly: true, sameSite: 'Lax' });
}

/** The raw session token from the request's cookie, if it has the right shape. */
export function readSessionToken(c: Context<AppEnv>): string | undefined {
  const value = getCookie(c, SESSION_COOKIE);
  return value && value.startsWith(SESSION_PREFIX) && value.length <= 128 ? value : undefined;
}

/** Ends every session of `userId` except `keepSessionId` (password change, reset, disable). */
export async function endOtherSessions(services: Services, userId: string, keepSessionId?: string): Promise<number> {
  const result = await services.db.session.deleteMany({
    where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) },
  });
  return result.count;
}
