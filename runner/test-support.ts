import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const RUNNER_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
export const ENV_FIXTURE = fileURLToPath(new URL('./fixtures/env-server.mjs', import.meta.url));
export const EVERYTHING_PACKAGE = '@modelcontextprotocol/server-everything';
export const EVERYTHING = fileURLToPath(new URL(`../node_modules/${EVERYTHING_PACKAGE}/dist/index.js`, import.meta.url));
/** The version npm installed (the lockfile's), which tests and benchmarks deploy from the live registry. */
export const EVERYTHING_VERSION = (
  JSON.parse(readFileSync(new URL(`../node_modules/${EVERYTHING_PACKAGE}/package.json`, import.meta.url), 'utf8')) as { version: string }
).version;

export interface SpawnedRunner {
  process: ChildProcess;
  port: number;
  url: string;
  /** Every line the runner wrote (stdout and stderr), as written. */
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Pid of the MCP server child, from the runner's `mcp server started` line. */
  childPid: number;
}

/** Starts `node --import tsx runner/main.ts <args>` with exactly `env`, and waits until it listens. */
export async function spawnRunner(args: string[], env: Record<string, string>): Promise<SpawnedRunner> {
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER_MAIN, '--host', '127.0.0.1', '--port', '0', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let childPid = 0;
  const listening = new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      if (line.includes('"mcp server started"')) childPid = Number((JSON.parse(line) as { pid: number }).pid);
      if (line.includes('"runner listening"')) resolve(Number((JSON.parse(line) as { port: number }).port));
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    void exited.then(({ code }) => reject(new Error(`runner exited early with ${code}: ${lines.join('\n')}`)));
  });
  const port = await listening;
  return { process: child, port, url: `http://127.0.0.1:${port}`, lines, exited, childPid };
}

/** An official SDK client connected to `<base>/mcp` with a bearer token. */
export async function connectClient(base: string, token: string, name = 'runner-test'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** The text of the first content item of a tool result. */
export function firstText(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content[0]?.text ?? '';
}

/** Resolves when `predicate` holds, polling every 50 ms, or rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
