import type { Db } from '../db/pool.ts';
import { newId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /**
   * The one action link of the message (verification, reset, invitation). The outbox mailer prints it in
   * its log line, so an operator of a local install can act on it; SMTP mailers never log it.
   */
  link?: string;
}

/** Sends mail. Implementations: the outbox (local mode, tests) and SMTP. */
export interface Mailer {
  readonly kind: 'outbox' | 'smtp';
  send(message: MailMessage): Promise<void>;
}

/**
 * Local mode: every message is stored in `mail_outbox` (admins read it at `GET /v1/admin/outbox`) and its
 * link is logged, because the operator of a local install is the only reader of that log.
 */
export function createOutboxMailer(db: Db, logger: Logger): Mailer {
  return {
    kind: 'outbox',
    async send(message) {
      const id = newId('mail');
      await db.mailMessage.create({ data: { id, to: message.to, subject: message.subject, body: message.text } });
      // The link is logged as `mailLink` (not a secret-looking field name) so the operator can follow it.
      logger.info({ mailId: id, to: message.to, subject: message.subject, mailLink: message.link }, 'mail stored in outbox');
    },
  };
}
