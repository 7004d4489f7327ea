import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { readSensitiveSetting } from '../settings/sensitive-settings.ts';
import type { Vault } from '../vault/vault.ts';
import { createOutboxMailer, type Mailer } from './mailer.ts';

/** Where the SMTP password comes from at send time; undefined means "use SMTP_PASSWORD". */
export type SmtpPasswordSource = () => Promise<string | undefined>;

export interface SmtpMailerOptions {
  /** Extra CA to trust for the SMTP server's certificate (tests). */
  ca?: string;
  /** Read before every message, so a password changed in the settings applies without a restart. */
  password?: SmtpPasswordSource;
}

/**
 * SMTP delivery (STARTTLS required unless the port is 465, which is TLS from the start). Links are never
 * logged. The password is the encrypted `smtpPassword` setting when one is stored, else SMTP_PASSWORD;
 * the transport is rebuilt when it changes.
 */
export function createSmtpMailer(smtp: NonNullable<Config['smtp']>, logger: Logger, options: SmtpMailerOptions = {}): Mailer {
  let current: { password: string; transport: Transporter } | undefined;
  const transportFor = (password: string): Transporter => {
    if (current?.password === password) return current.transport;
    current?.transport.close();
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.port === 465,
      requireTLS: smtp.port !== 465,
      auth: smtp.user ? { user: smtp.user, pass: password } : undefined,
      tls: options.ca ? { ca: options.ca } : undefined,
    });
    current = { password, transport };
    return transport;
  };
  return {
    kind: 'smtp',
    async send(message) {
      const password = (await options.password?.()) ?? smtp.password ?? '';
      const info = await transportFor(password).sendMail({ from: smtp.from, to: message.to, subject: message.subject, text: message.text });
      logger.info({ to: message.to, subject: message.subject, messageId: info.messageId }, 'mail sent');
    },
  };
}

/**
 * The mailer config asks for: SMTP when SMTP_HOST is set, else the outbox. With `vault`, the SMTP password
 * stored encrypted in the settings (`PUT /v1/admin/settings`) takes precedence over SMTP_PASSWORD.
 */
export function createMailer(config: Config, db: Db, logger: Logger, vault: Vault): Mailer {
  if (!config.smtp) return createOutboxMailer(db, logger);
  return createSmtpMailer(config.smtp, logger, { password: () => readSensitiveSetting({ db, vault }, 'smtpPassword') });
}
