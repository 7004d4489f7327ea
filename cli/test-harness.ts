import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { createDeploymentWorld, type DeploymentWorld } from '../test/deployments-harness.ts';

/** The CLI launcher, exactly what `npx hangar` runs. */
export const HANGAR_BIN = join(dirname(fileURLToPath(import.meta.url)), 'bin', 'hangar.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A deployment world served over real HTTP on 127.0.0.1, its public URL being that address. */
export interface ServedWorld {
  world: DeploymentWorld;
  url: string;
  close(): Promise<void>;
}

/**
 * Listens first (port 0), then builds the world with HANGAR_PUBLIC_URL set to the bound address, so the
 * MCP URLs Hangar prints and the Origin it trusts are the ones the CLI really talks to.
 */
export async function serveDeploymentWorld(): Promise<ServedWorld> {
  let app: { fetch(request: Request): Response | Promise<Response> } | undefined;
  const server = serve({ fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const world = await createDeploymentWorld({ env: { HANGAR_PUBLIC_URL: url } });
  app = world.hangar.app;
  return {
    world,
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await world.close();
    },
  };
}

/** A private HOME/XDG_CONFIG_HOME for one test's CLI runs. */
export function createCliHome(): { home: string; configDir: string; configFile: string; dispose(): void } {
  const home = mkdtempSync(join(tmpdir(), 'hangar-cli-'));
  const configDir = join(home, 'config');
  return { home, configDir, configFile: join(configDir, 'hangar', 'config.json'), dispose: () => rmSync(home, { recursive: true, force: true }) };
}

/** Starts the CLI as a subprocess with a clean environment (only PATH, HOME, XDG_CONFIG_HOME and `env`). */
export function spawnHangar(args: string[], options: { home: string; configDir: string; env?: Record<string, string> }): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [HANGAR_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home, XDG_CONFIG_HOME: options.configDir, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Collects a child's output and exit code; writes `input` to its stdin (then closes it). */
export function finish(child: ChildProcessWithoutNullStreams, input?: string, timeoutMs = 60_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (input !== undefined) child.stdin.end(input);
  else child.stdin.end();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hangar did not exit in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the CLI to completion. */
export function runHangar(args: string[], options: { home: string; configDir: string; env?: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  return finish(spawnHangar(args, options), options.input, options.timeoutMs);
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answers[prompt]` when a prompt appears.
 * The terminal merges stdout and stderr (and shows whatever is echoed) into `stdout`.
 */
export function runOnPty(args: string[], options: { home: string; configDir: string; env?: Record<string, string> }, answers: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const command = [process.execPath, HANGAR_BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.home, XDG_CONFIG_HOME: options.configDir, TERM: 'xterm', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  const pending = new Map(Object.entries(answers));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const [prompt, answer] of pending) {
      if (stdout.includes(prompt)) {
        pending.delete(prompt);
        child.stdin.write(`${answer}\r`);
      }
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`terminal run timed out: ${stdout}`))), timeoutMs);
    child.once('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr: '' })));
  });
}
