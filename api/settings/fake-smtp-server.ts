import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** One AUTH attempt the fake saw, with whether the credentials matched. */
export interface SmtpAuthAttempt {
  user: string;
  password: string;
  accepted: boolean;
  /** True when the attempt came after STARTTLS (it always should). */
  overTls: boolean;
}

/**
 * A local SMTP server for tests, speaking enough of RFC 5321 for nodemailer: EHLO, STARTTLS (RFC 3207),
 * AUTH PLAIN (RFC 4954), MAIL, RCPT, DATA, QUIT. It accepts exactly one user and password, records every
 * AUTH attempt and every message, and refuses AUTH before TLS (530) as a real submission server does.
 */
export class FakeSmtpServer {
  readonly auths: SmtpAuthAttempt[] = [];
  readonly messages: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly tls: { key: string; cert: string },
    private readonly account: { user: string; password: string },
  ) {
    this.server = createServer((socket) => this.serve(socket));
  }

  /** Starts the server on 127.0.0.1 (a random port) with a certificate for `localhost`. */
  static async start(tls: { key: string; cert: string }, account: { user: string; password: string }): Promise<FakeSmtpServer> {
    const fake = new FakeSmtpServer(tls, account);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Changes the password the server accepts (an operator rotating the SMTP password). */
  setPassword(password: string): void {
    this.account.password = password;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(raw: Socket): void {
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    let stream: Socket | TLSSocket = raw;
    let buffer = '';
    let inData = false;
    let data = '';
    const reply = (line: string) => stream.write(`${line}\r\n`);
    const onLine = (line: string): void => {
      if (inData) {
        if (line === '.') {
          inData = false;
          this.messages.push(data);
          data = '';
          reply('250 2.0.0 queued');
        } else data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
        return;
      }
      const [verb = '', ...rest] = line.split(' ');
      const secure = stream instanceof TLSSocket;
      switch (verb.toUpperCase()) {
        case 'EHLO':
          reply('250-fake.smtp.test');
          reply(secure ? '250 AUTH PLAIN' : '250 STARTTLS');
          return;
        case 'STARTTLS':
          reply('220 2.0.0 ready to start TLS');
          raw.removeAllListeners('data');
          stream = new TLSSocket(raw, { isServer: true, key: this.tls.key, cert: this.tls.cert });
          stream.on('data', onData);
          stream.on('error', () => raw.destroy());
          buffer = '';
          return;
        case 'AUTH': {
          if (!secure) return void reply('530 5.7.0 must issue STARTTLS first');
          const [, user = '', password = ''] = Buffer.from(rest[1] ?? '', 'base64').toString('utf8').split('\u0000');
          const accepted = user === this.account.user && password === this.account.password;
          this.auths.push({ user, password, accepted, overTls: secure });
          return void reply(accepted ? '235 2.7.0 authenticated' : '535 5.7.8 authentication failed');
        }
        case 'MAIL':
        case 'RCPT':
        case 'RSET':
        case 'NOOP':
          return void reply('250 2.0.0 ok');
        case 'DATA':
          inData = true;
          return void reply('354 end with <CRLF>.<CRLF>');
        case 'QUIT':
          reply('221 2.0.0 bye');
          stream.end();
          return;
        default:
          reply('502 5.5.2 command not implemented');
      }
    };
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      let at: number;
      while ((at = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        onLine(line);
      }
    };
    raw.on('data', onData);
    raw.on('error', () => undefined);
    reply('220 fake.smtp.test ESMTP');
  }
}
