import { connect } from 'node:net';
import type { Rng } from './rng.ts';

/** What came back over a raw socket: the status (undefined if the server closed without answering). */
export interface RawResponse {
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
}

/**
 * Requests fetch refuses to send: CR/LF/NUL in headers, bad framing (duplicate or conflicting lengths),
 * raw traversal and non-ASCII bytes in the target, absolute-form targets, oversized headers.
 */
export function rawRequest(rng: Rng, host: string, auth: string): { label: string; bytes: Buffer } {
  const h = `Host: ${host}\r\n`;
  const cases: Array<[string, string | Buffer]> = [
    ['NUL in header', `GET /v1/me HTTP/1.1\r\n${h}X-Request-Id: a\u0000b\r\n${auth}\r\n`],
    ['CRLF-injected header', `GET /v1/me HTTP/1.1\r\n${h}X-Request-Id: a\r\nSet-Cookie: hangar_session=forged\r\n${auth}\r\n`],
    ['bare LF', `GET /v1/me HTTP/1.1\n${h}${auth}\n`],
    ['duplicate Content-Length', `POST /v1/teams HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}`],
    ['CL and TE', `POST /v1/teams HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['bad chunk size', `POST /v1/teams HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ['raw traversal', `GET /v1/deployments/../../../etc/passwd HTTP/1.1\r\n${h}${auth}\r\n`],
    ['encoded traversal', `GET /v1/deployments/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1\r\n${h}${auth}\r\n`],
    ['absolute-form target', `GET http://evil.example/v1/me HTTP/1.1\r\n${h}${auth}\r\n`],
    ['asterisk target', `OPTIONS * HTTP/1.1\r\n${h}\r\n`],
    ['unknown method', `BREW /v1/me HTTP/1.1\r\n${h}${auth}\r\n`],
    ['HTTP/1.0 no host', `GET /v1/me HTTP/1.0\r\n${auth}\r\n`],
    ['header without colon', `GET /v1/me HTTP/1.1\r\n${h}NoColonHere\r\n${auth}\r\n`],
    ['oversized header', `GET /v1/me HTTP/1.1\r\n${h}X-Big: ${'a'.repeat(20_000)}\r\n${auth}\r\n`],
    ['oversized target', `GET /v1/deployments/${'a'.repeat(20_000)} HTTP/1.1\r\n${h}${auth}\r\n`],
    ['Latin-1 and UTF-8 bytes in target', Buffer.concat([Buffer.from('GET /v1/deployments/\xff\xfe', 'latin1'), Buffer.from('😀 HTTP/1.1\r\n'), Buffer.from(`${h}${auth}\r\n`)])],
    ['short body', `POST /v1/teams HTTP/1.1\r\n${h}${auth}Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"name":`],
    ['garbage', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])],
  ];
  const [label, payload] = rng.pick(cases);
  return { label: `raw: ${label}`, bytes: typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload };
}

/**
 * Sends `bytes` to 127.0.0.1:`port` and reads the first response (or nothing) within `timeoutMs` (a server
 * still waiting for the rest of a short body is not an answer: the connection is closed).
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 1_500): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1];
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: status ? Number(status) : undefined, headers, body: rest.join('\r\n\r\n') });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // One response is enough: stop once its headers and the announced body (if any) arrived.
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = text.slice(0, end);
      const length = /content-length: *(\d+)/i.exec(head)?.[1];
      if (length !== undefined && Buffer.byteLength(text.slice(end + 4)) >= Number(length)) finish();
      else if (/transfer-encoding: *chunked/i.test(head) && text.endsWith('0\r\n\r\n')) finish();
    });
    socket.on('end', finish);
    socket.on('error', finish);
    socket.on('connect', () => socket.write(bytes));
  });
}
