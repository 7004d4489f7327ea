import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** An answer a fake computes for a request: status and JSON body. */
export interface FakeAnswer {
  status: number;
  body: unknown;
}

/**
 * A real HTTP server on 127.0.0.1 with fault injection, shared by the registry fakes: queued 5xx answers,
 * a delay before every answer, and an outage mode that resets every connection.
 */
export class FaultServer {
  /** Every request path, in order (tests count registry calls with it). */
  readonly requests: string[] = [];
  private failures: number[] = [];
  private delayMs = 0;
  private down = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly url: string,
  ) {}

  /** Starts a server whose answers come from `answer`. */
  static async start(answer: (path: string, request: IncomingMessage) => FakeAnswer): Promise<FaultServer> {
    let self: FaultServer | undefined;
    const server = createServer((req, res) => void self!.handle(req, res, answer));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new FaultServer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (socket) => {
      self!.sockets.add(socket);
      socket.on('close', () => self!.sockets.delete(socket));
    });
    return self;
  }

  /** The next `count` requests answer `status` (default 503) instead of their real answer. */
  failNext(count: number, status = 503): void {
    this.failures.push(...Array.from({ length: count }, () => status));
  }

  /** Every answer waits `ms` first (for timeouts and single-flight tests). */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** While down, every connection is reset without an answer (a network-level outage). */
  setDown(down: boolean): void {
    this.down = down;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, answer: (path: string, request: IncomingMessage) => FakeAnswer): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    this.requests.push(path);
    if (this.down) {
      req.socket.destroy();
      return;
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (res.destroyed) return;
    const failure = this.failures.shift();
    const { status, body } = failure !== undefined ? { status: failure, body: { error: 'Service Unavailable' } } : answer(path, req);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
