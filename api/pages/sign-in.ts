import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';
import { logIn } from '../auth/accounts.ts';
import { requestMeta, userAgent } from '../auth/request-meta.ts';
import { EmailSchema } from '../auth/schemas.ts';
import { createSession, setSessionCookie } from '../auth/sessions.ts';
import type { AppEnv } from '../http/context.ts';
import { UnauthorizedError } from '../http/errors.ts';
import { errorSummary, inputField, postForm } from './forms.ts';
import { html, type Html } from './html.ts';

/** The fields of the sign-in form (`email`, `password`), as the JSON login route accepts them. */
export const SignInFormSchema = z.object({
  email: EmailSchema,
  password: z.string().min(1, 'is required').max(128, 'must be at most 128 characters'),
});

/**
 * The sign-in form (input[name=email], input[name=password], a "Sign in" button) posting to `action`. Extra
 * markup (e.g. a hidden `step` input) goes in `extra`.
 */
export function signInForm(c: Context<AppEnv>, options: { action: string; email?: string; errors?: Record<string, string>; extra?: Html }): Html {
  const errors = options.errors ?? {};
  return postForm(c, {
    action: options.action,
    content: html`${errorSummary(errors, { email: 'Email', password: 'Password' })}
${options.extra ?? ''}
${inputField({ name: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: options.email, error: errors.email, maxLength: 254 })}
${inputField({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', error: errors.password, maxLength: 128 })}`,
    buttons: [{ label: 'Sign in' }],
  });
}

/**
 * Signs in from a submitted form exactly as `POST /v1/auth/login` does (same limits, lockout, audit) and sets
 * the session cookie. A wrong email or password is a value (show the form again, 401); a lockout throws 429.
 * The session applies from the next request: answer with a 303 back to the page.
 */
export async function signInWithForm(c: Context<AppEnv>, form: z.output<typeof SignInFormSchema>): Promise<{ ok: true; userId: string } | { ok: false; error: string }> {
  const services = c.get('services');
  const meta = requestMeta(c);
  try {
    const user = await logIn(services, form, meta);
    const session = await createSession(services, user.id, { ip: meta.ip, userAgent: userAgent(c) });
    setSessionCookie(c, session.token, session.expiresAt);
    return { ok: true, userId: user.id };
  } catch (error) {
    if (error instanceof UnauthorizedError) return { ok: false, error: 'Invalid email or password' };
    throw error;
  }
}
