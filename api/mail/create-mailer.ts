import nodemailer from 'nodemailer';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { createOutboxMailer, type Mailer } from './mailer.ts';

/**
 * SMTP delivery (STARTTLS required unless the port is 465, which is TLS from the start). Links are never
 * logged. The password comes from config (SMTP_PASSWORD) until the vault can hold it encrypted in the
 * `settings` table; then only this constructor's caller changes.
 */
export function createSmtpMailer(smtp: NonNullable<Config['smtp']>, logger: Logger, tls: { ca?: string } = {}): Mailer {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.port === 465,
    requireTLS: smtp.port !== 465,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    tls: tls.ca ? { ca: tls.ca } : undefined,
  });
  return {
    kind: 'smtp',
    async send(message) {
      const info = await transport.sendMail({ from: smtp.from, to: message.to, subject: message.subject, text: message.text });
      logger.info({ to: message.to, subject: message.subject, messageId: info.messageId }, 'mail sent');
    },
  };
}

/** The mailer config asks for: SMTP when SMTP_HOST is set, else the outbox. */
export function createMailer(config: Config, db: Db, logger: Logger): Mailer {
  return config.smtp ? createSmtpMailer(config.smtp, logger) : createOutboxMailer(db, logger);
}
