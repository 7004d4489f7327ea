import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StdioChildOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  onMessage: (message: JSONRPCMessage) => void;
  /** One line the child wrote to stderr (raw: the caller masks it before logging). */
  onStderrLine: (line: string) => void;
  /** The child wrote something on stdout that is not a JSON-RPC message (never passed on: it may hold data). */
  onBadOutput: () => void;
  onExit: (exit: ChildExit) => void;
}

/**
 * The stdio MCP server process: newline-delimited JSON-RPC on stdin/stdout (framing from the SDK's
 * ReadBuffer). It runs in its own process group so that `npx`/`uvx` wrappers and their children all get
 * the stop signal.
 */
export class StdioChild {
  private readonly process: ChildProcess;
  private readonly buffer = new ReadBuffer();
  private exited: ChildExit | undefined;
  private readonly exitWaiters: Array<(exit: ChildExit) => void> = [];

  constructor(private readonly options: StdioChildOptions) {
    this.process = spawn(options.command, options.args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.process.stdout?.on('data', (chunk: Buffer) => this.readChunk(chunk));
    const stderr = this.process.stderr;
    if (stderr) createInterface({ input: stderr, crlfDelay: Infinity }).on('line', options.onStderrLine);
    // EPIPE after the child died is reported through the exit path, not as an error.
    this.process.stdin?.on('error', () => undefined);
    this.process.on('error', () => this.finish({ code: 127, signal: null }));
    this.process.on('exit', (code, signal) => this.finish({ code, signal }));
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get hasExited(): boolean {
    return this.exited !== undefined;
  }

  /** Writes one JSON-RPC message to the child's stdin. Returns false when the child is gone. */
  send(message: JSONRPCMessage): boolean {
    const stdin = this.process.stdin;
    if (this.exited || !stdin || stdin.destroyed) return false;
    stdin.write(serializeMessage(message));
    return true;
  }

  /** Sends a signal to the child's whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.exited || this.process.pid === undefined) return;
    try {
      process.kill(-this.process.pid, signal);
    } catch {
      this.process.kill(signal);
    }
  }

  /**
   * Stops the child the way the MCP stdio transport asks: close stdin, then SIGTERM, then SIGKILL after
   * `graceMs`. Resolves with the exit.
   */
  async stop(graceMs: number, first: NodeJS.Signals = 'SIGTERM'): Promise<ChildExit> {
    if (this.exited) return this.exited;
    this.process.stdin?.end();
    this.signal(first);
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const exit = await this.waitForExit();
    clearTimeout(timer);
    return exit;
  }

  /** Resolves when the child has exited. */
  waitForExit(): Promise<ChildExit> {
    if (this.exited) return Promise.resolve(this.exited);
    return new Promise((resolve) => this.exitWaiters.push(resolve));
  }

  private readChunk(chunk: Buffer): void {
    try {
      this.buffer.append(chunk);
    } catch {
      this.options.onBadOutput();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch {
        this.options.onBadOutput();
        continue;
      }
      if (!message) return;
      this.options.onMessage(message);
    }
  }

  private finish(exit: ChildExit): void {
    if (this.exited) return;
    this.exited = exit;
    this.options.onExit(exit);
    for (const waiter of this.exitWaiters.splice(0)) waiter(exit);
  }
}
