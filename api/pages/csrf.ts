import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context.ts';
import { ForbiddenError, ValidationError } from '../http/errors.ts';
import { digestsEqual, newSecretToken } from '../platform/ids.ts';
import { html, type Html } from './html.ts';

/**
 * CSRF protection for page forms, in two layers. The first is the API's own rule (api/auth/authenticate.ts):
 * a state-changing request from a foreign Origin is refused before any handler runs, and pages send
 * `Referrer-Policy: same-origin` so the browser's form POST carries its real Origin. The second is a signed
 * double-submit token: a random value in an HttpOnly cookie, and in the form the HMAC of that value and the
 * current session id under a key the vault derives from the newest Fernet key. A site that can plant the
 * cookie still cannot compute the token, and a token stops working when the session changes.
 */

const SEED_PREFIX = 'hgf_';
const FIELD = 'csrf';

function cookieName(c: Context<AppEnv>): string {
  return c.get('services').config.auth.cookieSecure ? '__Host-hangar_form' : 'hangar_form';
}

function readSeed(c: Context<AppEnv>): string | undefined {
  const value = getCookie(c, cookieName(c));
  return value && value.startsWith(SEED_PREFIX) && value.length <= 64 ? value : undefined;
}

function sign(c: Context<AppEnv>, seed: string): string {
  const sessionId = c.get('principal')?.sessionId ?? '-';
  return c.get('services').vault.keyedDigest(`hangar-form-csrf-v1\n${seed}\n${sessionId}`);
}

/** The token for a form rendered in this response; sets the form cookie first when the browser has none. */
export function formCsrfToken(c: Context<AppEnv>): string {
  let seed = readSeed(c);
  if (!seed) {
    seed = newSecretToken(SEED_PREFIX);
    setCookie(c, cookieName(c), seed, { httpOnly: true, secure: c.get('services').config.auth.cookieSecure, sameSite: 'Lax', path: '/' });
  }
  return sign(c, seed);
}

/** The hidden input that carries the CSRF token; put it inside every `<form method="post">`. */
export function csrfInput(c: Context<AppEnv>): Html {
  return html`<input type="hidden" name="${FIELD}" value="${formCsrfToken(c)}">`;
}

/** A form's outcome: its fields parsed by the schema, or one message per invalid field (to show on the page). */
export type FormResult<T> = { ok: true; data: T } | { ok: false; errors: Record<string, string> };

/**
 * Reads a submitted form (urlencoded or multipart; files ignored). Refuses with 403 `csrf_rejected` when its
 * token is missing or does not match this browser's cookie and session; then validates the fields with
 * `schema`. Nothing has happened yet when it refuses, so the handler changes nothing.
 */
export async function readForm<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<FormResult<z.output<S>>> {
  let body: Record<string, string | File>;
  try {
    body = await c.req.parseBody();
  } catch {
    // A malformed multipart or urlencoded body (the browser never sends one): bad input, not a 500.
    throw new ValidationError('The form could not be read');
  }
  const submitted = body[FIELD];
  const seed = readSeed(c);
  if (typeof submitted !== 'string' || !seed || !/^[0-9a-f]{64}$/.test(submitted) || !digestsEqual(submitted, sign(c, seed))) {
    throw new ForbiddenError('This form has expired or did not come from this page. Go back, reload the page and try again.', 'csrf_rejected');
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (name !== FIELD && typeof value === 'string') fields[name] = value;
  const parsed = schema.safeParse(fields);
  if (parsed.success) return { ok: true, data: parsed.data };
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? 'form');
    errors[name] ??= issue.message;
  }
  return { ok: false, errors };
}
