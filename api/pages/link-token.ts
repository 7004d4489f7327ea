import type { Context } from 'hono';
import type { AppEnv } from '../http/context.ts';
import { MAIL_LINK_PATHS, type MailLinkKind } from '../mail/links.ts';

const SHAPES: Record<MailLinkKind, RegExp> = {
  verifyEmail: /^hgv_[0-9a-z]{32}$/,
  resetPassword: /^hgp_[0-9a-z]{32}$/,
  invitation: /^hgi_[0-9a-z]{32}$/,
};

/**
 * The mailed token from the link's `?code=`, when it has the shape Hangar issues (anything else never
 * reaches the database; the page answers "invalid link").
 */
export function linkToken(c: Context<AppEnv>, kind: MailLinkKind): string | undefined {
  const token = c.req.query('code');
  return token !== undefined && SHAPES[kind].test(token) ? token : undefined;
}

/** The page's own URL with its token, for a form's action (root-relative, same origin). */
export function linkAction(kind: MailLinkKind, token: string): string {
  return `${MAIL_LINK_PATHS[kind]}?code=${encodeURIComponent(token)}`;
}
