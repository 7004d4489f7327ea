import { z } from '@hono/zod-openapi';
import { InvalidTokenError, verifyEmail } from '../auth/accounts.ts';
import { guard } from '../auth/permissions.ts';
import { requestMeta } from '../auth/request-meta.ts';
import { findUsableUserToken } from '../auth/user-tokens.ts';
import type { App } from '../http/context.ts';
import { MAIL_LINK_PATHS } from '../mail/links.ts';
import { readForm } from './csrf.ts';
import { postForm } from './forms.ts';
import { html } from './html.ts';
import { pageRoute, renderMessagePage, renderPage } from './kit.ts';
import { linkAction, linkToken } from './link-token.ts';

/**
 * The verification link's page. GET only shows a "Verify email" button and changes nothing, because mail
 * scanners and link previewers fetch links before the person does; the POST (CSRF-checked) spends the
 * token and verifies the address. An unknown, used or expired token: 400, nothing changed.
 */
export function registerVerifyEmailPage(app: App): void {
  const path = MAIL_LINK_PATHS.verifyEmail;
  app.get(path, guard({ access: 'public' }), pageRoute(async (c) => {
    const token = linkToken(c, 'verifyEmail');
    const pending = token ? await findUsableUserToken(c.get('services'), token, 'verify_email') : undefined;
    if (!token || !pending) throw new InvalidTokenError();
    return renderPage(c, {
      title: 'Verify your email',
      body: html`<p>Confirm that <strong>${pending.email}</strong> is your email address.</p>
${postForm(c, { action: linkAction('verifyEmail', token), content: html``, buttons: [{ label: 'Verify email' }] })}`,
    });
  }));
  app.post(path, guard({ access: 'public' }), pageRoute(async (c) => {
    const token = linkToken(c, 'verifyEmail');
    await readForm(c, z.object({}));
    const services = c.get('services');
    if (!token || !(await findUsableUserToken(services, token, 'verify_email'))) throw new InvalidTokenError();
    await verifyEmail(services, token, requestMeta(c));
    return renderMessagePage(c, 'Email verified', 'Your email address is verified. You can close this page and go back to Hangar.');
  }));
}
