import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A real Hangar process (`node --import tsx api/main.ts`, the entry point `npm start` runs) for fault tests
 * and the load bench: it can be killed with any signal, which an in-process app cannot.
 */
export interface HangarProcess {
  /** `http://127.0.0.1:<port>` as the process announced it. */
  url: string;
  pid: number;
  child: ChildProcess;
  /** Everything the process wrote (stdout and stderr), unless started with `keepOutput: false`. */
  output(): string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  exited: Promise<number | null>;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Sends `signal` and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * Starts Hangar with exactly `env` (plus PATH and HOME), bound to 127.0.0.1 on a free port, and waits for
 * its listening line. `keepOutput: false` drains the output without keeping it (long load runs).
 */
export async function startHangarProcess(env: Record<string, string>, options: { keepOutput?: boolean; timeoutMs?: number } = {}): Promise<HangarProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = options.keepOutput ?? true;
  let out = '';
  let head = '';
  const take = (d: Buffer) => {
    if (keep) out += d.toString();
    else if (head.length < 64 * 1024) head += d.toString();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve((exitCode = code))));
  const text = () => (keep ? out : head);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Hangar printed no listening line in time:\n${text().slice(-4000)}`)), options.timeoutMs ?? 60_000);
    const look = () => {
      const match = /Hangar listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text());
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off('data', look);
      resolve(match[1]);
    };
    child.stdout?.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Hangar exited (${code}) before listening:\n${text().slice(-4000)}`));
    });
  });

  return {
    url,
    pid: child.pid!,
    child,
    output: text,
    exited,
    alive: () => exitCode === undefined,
    async kill(signal) {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
