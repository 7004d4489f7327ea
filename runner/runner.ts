import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { constants } from 'node:os';
import type { Logger } from '../api/platform/logger.ts';
import type { RunnerArgs } from './args.ts';
import { SECRET_NAME } from '../api/platform/mask.ts';
import { buildChildEnv, collectSecretValues } from './child-env.ts';
import { LogRing } from './log-ring.ts';
import { createRunnerHttpServer } from './http-server.ts';
import { SessionBridge } from './session-bridge.ts';
import { StdioChild, type ChildExit } from './stdio-child.ts';

export interface RunningRunner {
  port: number;
  /** Resolves with the exit code the runner process should exit with. */
  finished: Promise<number>;
  /** Clean stop: closes sessions, sends `signal` to the server (SIGKILL after the grace), resolves 0. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

const STDERR_LINE_MAX = 2000;

/** Maps an unexpected server exit to the runner's exit code: never 0, so a restart policy sees a crash. */
export function exitCodeFor(exit: ChildExit): number {
  if (exit.code !== null) return exit.code === 0 ? 1 : exit.code;
  const number = exit.signal ? constants.signals[exit.signal] : undefined;
  return 128 + (number ?? 0);
}

/**
 * Starts the stdio MCP server with `env` minus runner-only variables and serves it over Streamable HTTP.
 * The runner finishes when the server exits (non-zero code unless the runner itself stopped it).
 */
export async function startRunner(args: RunnerArgs, env: NodeJS.ProcessEnv, token: string, logger: Logger): Promise<RunningRunner> {
  let stopping = false;
  let resolveFinished: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (resolveFinished = resolve));

  let bridge: SessionBridge | undefined;
  const logs = new LogRing(collectSecretValues(env, token, SECRET_NAME));
  let probing = args.serverEra === 'auto';
  let respawned = false;
  const spawnChild = (): StdioChild =>
    new StdioChild({
      command: args.command,
      args: args.commandArgs,
      env: buildChildEnv(env),
      onMessage: (message) => bridge?.fromChild(message),
      onStderrLine: (line) => {
        logs.push(line);
        if (args.childStderr === 'forward') logger.info({ line: line.slice(0, STDERR_LINE_MAX) }, 'server stderr');
      },
      onBadOutput: () => logger.warn('server wrote a line that is not JSON-RPC to stdout (dropped)'),
      onExit: (exit) => {
        bridge?.failAll();
        if (stopping) return;
        // Some SDKs end the process on any request before `initialize`: such a server is a session-era one.
        if (probing && !respawned) {
          respawned = true;
          logger.warn({ code: exit.code, signal: exit.signal }, 'mcp server exited on the server/discover probe; starting it again for the session protocol');
          child = spawnChild();
          return;
        }
        logger.error({ code: exit.code, signal: exit.signal }, 'mcp server exited');
        void http.shutdown().finally(() => resolveFinished(exitCodeFor(exit)));
      },
    });
  let child = spawnChild();
  bridge = new SessionBridge({ send: (message) => child.send(message) });
  logger.info({ command: args.command, argCount: args.commandArgs.length, pid: child.pid }, 'mcp server started');
  if (probing) {
    void bridge.probeUpstream(args.probeTimeoutMs).then((era) => {
      probing = false;
      logger.info({ era: era.kind }, 'mcp server revision');
    });
  }

  const http = createRunnerHttpServer({
    bridge,
    token,
    logger,
    maxBodyBytes: args.maxBodyBytes,
    healthTimeoutMs: args.healthTimeoutMs,
    maxSessions: args.maxSessions,
    jsonResponse: args.jsonResponse,
    requestTimeoutMs: args.requestTimeoutMs,
    logs,
  });
  http.server.listen(args.port, args.host);
  try {
    await Promise.race([once(http.server, 'listening'), once(http.server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    stopping = true;
    await child.stop(0, 'SIGKILL');
    throw error;
  }
  const port = (http.server.address() as AddressInfo).port;
  // Written at any log level: supervisors (the local driver) read the bound port from this line.
  logger.child({}, { level: 'info' }).info({ port, host: args.host }, 'runner listening');

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number> => {
    if (stopping || child.hasExited) return finished;
    stopping = true;
    logger.info({ signal }, 'runner stopping');
    await http.shutdown();
    const exit = await child.stop(args.stopGraceMs, signal);
    logger.info({ code: exit.code, signal: exit.signal }, 'mcp server stopped');
    http.server.close();
    resolveFinished(0);
    return finished;
  };
  return { port, finished, stop };
}
