import type { App } from '../http/context.ts';
import { registerInvitationPage } from './invitation-page.ts';
import { registerPageAssets } from './kit.ts';
import { registerResetPasswordPage } from './reset-password-page.ts';
import { registerVerifyEmailPage } from './verify-email-page.ts';

/** Every server-rendered page (and the stylesheet they share): the pages the links in Hangar's mails open. */
export function registerPages(app: App): void {
  registerPageAssets(app);
  registerVerifyEmailPage(app);
  registerResetPasswordPage(app);
  registerInvitationPage(app);
}
