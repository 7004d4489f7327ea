import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';
import { confirmPasswordReset, InvalidTokenError } from '../auth/accounts.ts';
import { PasswordSchema } from '../auth/passwords.ts';
import { guard } from '../auth/permissions.ts';
import { requestMeta } from '../auth/request-meta.ts';
import { findUsableUserToken } from '../auth/user-tokens.ts';
import type { App, AppEnv } from '../http/context.ts';
import { ValidationError } from '../http/errors.ts';
import { MAIL_LINK_PATHS } from '../mail/links.ts';
import { readForm } from './csrf.ts';
import { errorSummary, inputField, postForm } from './forms.ts';
import { html } from './html.ts';
import { pageRoute, renderMessagePage, renderPage } from './kit.ts';
import { linkAction, linkToken } from './link-token.ts';

const ResetFormSchema = z
  .object({ password: PasswordSchema, confirm: z.string().max(128) })
  .refine((form) => form.password === form.confirm, { path: ['confirm'], message: 'does not match the new password' });

const LABELS = { password: 'New password', confirm: 'Confirm new password' };

function resetForm(c: Context<AppEnv>, token: string, email: string, errors: Record<string, string> = {}, status: 200 | 400 = 200): Response {
  return renderPage(c, {
    title: 'Choose a new password',
    status,
    body: html`<p>For <strong>${email}</strong>. Setting a new password signs you out everywhere.</p>
${postForm(c, {
  action: linkAction('resetPassword', token),
  content: html`${errorSummary(errors, LABELS)}
<input type="hidden" name="username" autocomplete="username" value="${email}">
${inputField({ name: 'password', label: LABELS.password, type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters; common passwords and your email address are refused.', error: errors.password, minLength: 8, maxLength: 128 })}
${inputField({ name: 'confirm', label: LABELS.confirm, type: 'password', autocomplete: 'new-password', error: errors.confirm, maxLength: 128 })}`,
  buttons: [{ label: 'Set new password' }],
})}`,
  });
}

/**
 * The reset link's page: a form for the new password (the API's rules: length, common passwords, not the
 * email), errors shown on the page with the token still unspent; a valid POST spends the token once, sets
 * the password and ends every session. An unknown, used or expired token: 400, nothing changed.
 */
export function registerResetPasswordPage(app: App): void {
  const path = MAIL_LINK_PATHS.resetPassword;
  app.get(path, guard({ access: 'public' }), pageRoute(async (c) => {
    const token = linkToken(c, 'resetPassword');
    const pending = token ? await findUsableUserToken(c.get('services'), token, 'password_reset') : undefined;
    if (!token || !pending) throw new InvalidTokenError();
    return resetForm(c, token, pending.email);
  }));
  app.post(path, guard({ access: 'public' }), pageRoute(async (c) => {
    const token = linkToken(c, 'resetPassword');
    const form = await readForm(c, ResetFormSchema);
    const services = c.get('services');
    const pending = token ? await findUsableUserToken(services, token, 'password_reset') : undefined;
    if (!token || !pending) throw new InvalidTokenError();
    if (!form.ok) return resetForm(c, token, pending.email, form.errors, 400);
    try {
      await confirmPasswordReset(services, { token, password: form.data.password }, requestMeta(c));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const issue = error.details?.issues?.[0];
      return resetForm(c, token, pending.email, { password: issue?.message ?? 'is not allowed' }, 400);
    }
    return renderMessagePage(c, 'Password changed', 'Your password is changed and every session has ended. Sign in again with the new password.');
  }));
}
