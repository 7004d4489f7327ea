import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Rng } from './rng.ts';

/**
 * A stand-in runner whose misbehaviour the request chooses: by the JSON-RPC method of a POST, or by the
 * `Mcp-Session-Id` of a GET or DELETE. `ok` answers JSON, `sse` streams events until the client leaves,
 * `reset` drops the connection unanswered, `reset-mid` drops it inside an SSE stream, `slow` answers late,
 * `html` answers a body no MCP server sends.
 */
export class MisbehavingRunner {
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<MisbehavingRunner> {
    const server = createServer((req, res) => {
      if (req.method !== 'POST') {
        req.resume();
        behave(String(req.headers['mcp-session-id'] ?? 'ok'), 0, req, res);
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('error', () => undefined);
      req.on('end', () => {
        let message: { id?: number; method?: string } = {};
        try {
          message = JSON.parse(body) as typeof message;
        } catch {
          // A body the proxy passed through whole but that is not JSON: answer like the runner would.
        }
        behave(message.method ?? 'ok', message.id ?? 0, req, res);
      });
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new MisbehavingRunner(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function behave(mode: string, id: number, req: IncomingMessage, res: ServerResponse): void {
  res.on('error', () => undefined);
  switch (mode) {
    case 'sse': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(`event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n`), 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'reset':
      req.socket.destroy();
      return;
    case 'reset-mid':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n');
      setTimeout(() => req.socket.destroy(), 10);
      return;
    case 'slow':
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result: {} })), 150);
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>not mcp</h1>');
      return;
    default:
      if (req.method === 'DELETE') res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, result: { ok: true } }));
  }
}

/** What a client socket did and what came back (undefined status: the connection ended unanswered). */
export interface SocketOutcome {
  label: string;
  status: number | undefined;
  /** The error code of a JSON error body, when there was one. */
  code: string | undefined;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Target {
  port: number;
  /** `/v1/deployments/<id>/mcp` */
  mcpPath: string;
  /** A JSON route that reads a body (a half body there must not hurt either). */
  jsonPath: string;
  auth: string;
  /** A live MCP session to open and leave GET streams of (a real runner); else the stand-in's `sse` mode. */
  sessionId?: string;
}

function head(method: string, path: string, target: Target, extra: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${target.auth}\r\nAccept: application/json, text/event-stream\r\n${extra}`;
}

function rpc(method: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 7, method });
}

/** Opens a socket, runs `script`, and reads whatever answer came back until the socket ends or `ms` pass. */
function drive(label: string, port: number, ms: number, script: (socket: Socket, answered: () => boolean) => Promise<void>): Promise<SocketOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      const code = /"code":"([a-z_]+)"/.exec(text)?.[1];
      resolve({ label, status: status ? Number(status) : undefined, code });
    };
    const timer = setTimeout(finish, ms);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      script(socket, () => text.length > 0)
        .catch(() => undefined)
        .finally(() => setTimeout(finish, 300));
    });
  });
}

/** The socket behaviours a client (or, through the stand-in runner, an upstream) can show, one at random. */
export function socketBehaviour(rng: Rng, target: Target): () => Promise<SocketOutcome> {
  const { port, mcpPath, jsonPath } = target;
  const post = (body: string, extra = '') => head('POST', mcpPath, target, `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`);
  const cases: Array<[string, () => Promise<SocketOutcome>]> = [
    ['half body, then FIN', () => drive('half body, then FIN', port, 1_000, async (s) => {
      s.write(head('POST', mcpPath, target, 'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0","id":1,'));
      await wait(rng.int(0, 30));
      s.end();
    })],
    ['half body, then RST', () => drive('half body, then RST', port, 1_000, async (s) => {
      s.write(head('POST', mcpPath, target, 'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0",'));
      await wait(rng.int(0, 30));
      s.resetAndDestroy();
    })],
    ['chunked body cut mid-chunk', () => drive('chunked body cut mid-chunk', port, 1_000, async (s) => {
      s.write(head('POST', mcpPath, target, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{"jsonrpc":"2.0"'));
      await wait(rng.int(0, 30));
      s.destroy();
    })],
    ['slow body, completed', () => drive('slow body, completed', port, 3_000, async (s) => {
      const body = rpc('ok');
      s.write(post(body, 'Connection: close\r\n'));
      for (let i = 0; i < body.length; i += 8) {
        s.write(body.slice(i, i + 8));
        await wait(15);
      }
    })],
    ['slow body, abandoned', () => drive('slow body, abandoned', port, 1_000, async (s) => {
      const body = rpc('ok');
      s.write(post(body));
      s.write(body.slice(0, 10));
      await wait(rng.int(20, 120));
      s.destroy();
    })],
    ['client leaves an SSE answer', () => drive('client leaves an SSE answer', port, 1_500, async (s, answered) => {
      s.write(post(rpc('sse')) + rpc('sse'));
      for (let i = 0; i < 50 && !answered(); i += 1) await wait(10);
      await wait(rng.int(0, 80));
      s.destroy();
    })],
    ['client leaves the GET stream', () => drive('client leaves the GET stream', port, 1_500, async (s, answered) => {
      s.write(head('GET', mcpPath, target, `Mcp-Session-Id: ${target.sessionId ?? 'sse'}\r\nMcp-Protocol-Version: 2025-11-25\r\n\r\n`));
      for (let i = 0; i < 50 && !answered(); i += 1) await wait(10);
      await wait(rng.int(0, 80));
      rng.int(0, 1) === 0 ? s.destroy() : s.resetAndDestroy();
    })],
    ['client leaves before the answer', () => drive('client leaves before the answer', port, 1_000, async (s) => {
      s.write(post(rpc('slow')) + rpc('slow'));
      await wait(rng.int(0, 50));
      s.destroy();
    })],
    ['upstream resets before answering', () => drive('upstream resets before answering', port, 2_000, async (s) => {
      s.write(post(rpc('reset'), 'Connection: close\r\n') + rpc('reset'));
    })],
    ['upstream resets mid-stream', () => drive('upstream resets mid-stream', port, 2_000, async (s) => {
      s.write(post(rpc('reset-mid'), 'Connection: close\r\n') + rpc('reset-mid'));
    })],
    ['upstream GET stream resets', () => drive('upstream GET stream resets', port, 2_000, async (s) => {
      s.write(head('GET', mcpPath, target, 'Mcp-Session-Id: reset-mid\r\nConnection: close\r\n\r\n'));
    })],
    ['upstream DELETE resets', () => drive('upstream DELETE resets', port, 2_000, async (s) => {
      s.write(head('DELETE', mcpPath, target, 'Mcp-Session-Id: reset\r\nConnection: close\r\n\r\n'));
    })],
    ['upstream answers HTML', () => drive('upstream answers HTML', port, 2_000, async (s) => {
      s.write(post(rpc('html'), 'Connection: close\r\n') + rpc('html'));
    })],
    ['half body to a JSON route', () => drive('half body to a JSON route', port, 1_000, async (s) => {
      s.write(head('POST', jsonPath, target, 'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"name":'));
      await wait(rng.int(0, 30));
      rng.int(0, 1) === 0 ? s.end() : s.resetAndDestroy();
    })],
  ];
  return rng.pick(cases)[1];
}
