import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface RunnerProcessOptions {
  /** How to start the runner program (default: this Node with tsx, runner/main.ts). */
  runnerCommand?: string[];
  /** Runner options placed before `--` (e.g. `--token-env`, `--health-timeout-ms`). */
  runnerArgs: string[];
  /** The stdio MCP server command placed after `--`. */
  serverCommand: string[];
  /** The runner's whole environment (nothing is inherited). */
  env: Record<string, string>;
  cwd: string;
  /** Every line the runner writes (already masked by the runner). */
  onLine?: (line: string) => void;
}

export interface RunnerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The runner program beside this module, with absolute paths so any working directory works: built
 * JavaScript (`npm run build`, production) runs as plain `node dist/runner/main.js`; the TypeScript sources
 * (development, tests) run under tsx.
 */
export function defaultRunnerCommand(): string[] {
  if (import.meta.url.endsWith('.js')) return [process.execPath, fileURLToPath(new URL('./main.js', import.meta.url))];
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return [process.execPath, '--import', pathToFileURL(tsx).href, fileURLToPath(new URL('./main.ts', import.meta.url))];
}

/**
 * One runner as a local child process on a free loopback port (`--port 0`; the runner reports the port
 * it bound). Its stdin is a pipe it watches (`--stop-on-stdin-end`), so runners die with their parent.
 */
export class RunnerProcess {
  readonly child: ChildProcess;
  /** Resolves with the bound port; rejects when the runner exits before listening. */
  readonly listening: Promise<number>;
  readonly exited: Promise<RunnerExit>;

  constructor(options: RunnerProcessOptions) {
    const [command = process.execPath, ...prefix] = options.runnerCommand ?? defaultRunnerCommand();
    const args = [...prefix, '--host', '127.0.0.1', '--port', '0', '--stop-on-stdin-end', ...options.runnerArgs, '--', ...options.serverCommand];
    this.child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', () => resolve({ code: 127, signal: null }));
      // 'close', not 'exit': every output line has been read by then (the exit's last stderr lines included).
      this.child.on('close', (code, signal) => resolve({ code, signal }));
    });
    this.listening = new Promise((resolve, reject) => {
      const onLine = (line: string): void => {
        options.onLine?.(line);
        if (!line.includes('"runner listening"')) return;
        const port = Number((JSON.parse(line) as { port?: unknown }).port);
        if (Number.isInteger(port) && port > 0) resolve(port);
      };
      if (this.child.stdout) createInterface({ input: this.child.stdout }).on('line', onLine);
      if (this.child.stderr) createInterface({ input: this.child.stderr }).on('line', onLine);
      void this.exited.then((exit) => reject(new Error(`runner exited before listening (code ${exit.code ?? exit.signal})`)));
    });
    this.listening.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM (the runner stops its server cleanly), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<RunnerExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }
}
