import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { clientIp } from '../auth/request-meta.ts';
import type { AppEnv } from '../http/context.ts';
import { OAuthError } from './tokens.ts';

/** RFC 6749 §5.2 error body, also used by RFC 7591 and RFC 7009 endpoints. */
export const OAuthErrorSchema = z
  .object({
    error: z.string().openapi({ example: 'invalid_grant' }),
    error_description: z.string().openapi({ example: 'The authorization code has expired' }),
  })
  .openapi('OAuthError');

/** Renders an OAuthError the way OAuth clients parse it, never cached. */
export function oauthErrorResponse(c: Context<AppEnv>, error: OAuthError): Response {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
  if (error.status === 401) c.header('WWW-Authenticate', 'Basic realm="hangar"');
  return c.json({ error: error.error, error_description: error.description }, error.status);
}

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §3.2: the token and revocation endpoints
 * take nothing else) into plain strings; a repeated parameter is an error (§3.1).
 */
export async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const params = new URLSearchParams(await c.req.text());
  const out: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in out) throw new OAuthError('invalid_request', `Parameter ${key.slice(0, 40)} is repeated`);
    out[key] = value;
  }
  return out;
}

/** Names the first invalid field of a zod failure, for `error_description`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  return `${field}: ${issue?.message ?? 'invalid'}`;
}

/** Counts one call of a client endpoint against the caller's IP; 429 past `limit` per 10 minutes. */
export async function limitClientEndpoint(c: Context<AppEnv>, name: string, limit: number): Promise<boolean> {
  const services = c.get('services');
  const decision = await services.rateLimiter.hit(`oauth:${name}:${clientIp(c) ?? 'unknown'}`, { limit, windowSeconds: 600 }, services.clock.now());
  if (!decision.allowed) c.header('Retry-After', String(decision.retryAfterSeconds));
  return decision.allowed;
}
