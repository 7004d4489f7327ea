import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../api/platform/logger.ts';
import { createBearerCheck } from './auth.ts';
import { serveLogs, type LogRing } from './log-ring.ts';
import { readLimitedBody, rpcMethodsOf, writeJson, writeRpcError } from './http-body.ts';
import type { SessionBridge } from './session-bridge.ts';
import { rejectStatelessBodyless, serveStatelessPost } from './stateless/http.ts';
import { StatelessTranslator } from './stateless/translator.ts';

export interface RunnerHttpOptions {
  bridge: SessionBridge;
  token: string;
  logger: Logger;
  maxBodyBytes: number;
  healthTimeoutMs: number;
  /** Open sessions kept at most; the least recently active one is closed to make room. */
  maxSessions: number;
  /** Answer POSTs with a JSON body instead of an SSE stream (no mid-request notifications then). */
  jsonResponse: boolean;
  /** Longest wait for the stdio server's answer to one stateless (2026-07-28) request. */
  requestTimeoutMs: number;
  /** The server's stderr lines, served at `GET /logs` to holders of the token (Hangar). */
  logs?: LogRing;
}

export interface RunnerHttpServer {
  server: Server;
  /** Marks the runner as stopping (health answers 503) and closes every session. */
  shutdown(): Promise<void>;
}

/**
 * The runner's HTTP face: `GET /healthz` (no auth: 200 when the MCP server answers a ping in time, else
 * 503) and `/mcp` (Streamable HTTP, bearer token required), one SDK transport per MCP session, all of
 * them bridged onto the one stdio server. Logs carry HTTP method, path, status, time, JSON-RPC method
 * names and a session id prefix: never bodies, arguments or headers.
 */
export function createRunnerHttpServer(options: RunnerHttpOptions): RunnerHttpServer {
  const { bridge, logger } = options;
  const isAuthorized = createBearerCheck(options.token);
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const stateless = new StatelessTranslator(bridge, options.requestTimeoutMs);
  let stopping = false;

  const evictIfFull = (): void => {
    const ids = bridge.sessionIdsByActivity();
    for (const id of ids.slice(0, Math.max(0, ids.length - options.maxSessions))) {
      logger.info({ session: id.slice(0, 8) }, 'session evicted');
      void transports.get(id)?.close();
    }
  };

  const openTransport = (): StreamableHTTPServerTransport => {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: options.jsonResponse,
      maxRequestBodySize: options.maxBodyBytes,
      onsessioninitialized: (id) => {
        transports.set(id, transport);
        bridge.openSession({
          id,
          send: (message, relatedRequestId) =>
            transport.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }),
        });
        evictIfFull();
      },
    });
    transport.onmessage = (message) => {
      if (transport.sessionId) void bridge.fromClient(transport.sessionId, message);
    };
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id === undefined || !transports.has(id)) return;
      transports.delete(id);
      bridge.closeSession(id);
    };
    return transport;
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse, log: { rpc?: string[]; session?: string }) => {
    const header = req.headers['mcp-session-id'];
    const sessionId = typeof header === 'string' ? header : undefined;
    log.session = sessionId?.slice(0, 8);
    const existing = sessionId === undefined ? undefined : transports.get(sessionId);
    if (req.method === 'POST') {
      const raw = await readLimitedBody(req, options.maxBodyBytes);
      if (!raw) return writeRpcError(res, 413, -32000, 'Request body too large', { connection: 'close' });
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return writeRpcError(res, 400, -32700, 'Parse error');
      }
      log.rpc = rpcMethodsOf(body);
      if (await serveStatelessPost(res, req.headers, body, stateless)) return;
      if (existing) return existing.handleRequest(req, res, body);
      if (sessionId !== undefined) return writeRpcError(res, 404, -32001, 'Session not found');
      const initializing = Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body);
      if (!initializing) return writeRpcError(res, 400, -32000, 'Bad Request: No valid session ID provided');
      const transport = openTransport();
      await transport.start();
      return transport.handleRequest(req, res, body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (rejectStatelessBodyless(res, req.headers)) return;
      if (sessionId === undefined) return writeRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      if (!existing) return writeRpcError(res, 404, -32001, 'Session not found');
      return existing.handleRequest(req, res);
    }
    return writeRpcError(res, 405, -32000, 'Method not allowed', { allow: 'GET, POST, DELETE' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const path = new URL(req.url ?? '/', 'http://runner').pathname;
    const log: { rpc?: string[]; session?: string } = {};
    res.on('close', () => {
      const entry = { method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started), ...log };
      if (path === '/healthz') logger.debug(entry, 'health');
      else logger.info(entry, 'request');
    });
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return writeJson(res, 405, { status: 'method_not_allowed' }, { allow: 'GET, HEAD' });
      const ok = !stopping && (await bridge.ping(options.healthTimeoutMs));
      return writeJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable' });
    }
    if (path !== '/mcp' && !(path === '/logs' && options.logs)) return writeJson(res, 404, { error: 'not_found' });
    if (!isAuthorized(req.headers)) {
      req.resume();
      return writeRpcError(res, 401, -32001, 'Unauthorized', { 'www-authenticate': 'Bearer realm="hangar-runner"' });
    }
    if (path === '/logs' && options.logs) return serveLogs(req, res, options.logs);
    if (stopping) return writeRpcError(res, 503, -32000, 'Runner is stopping', { connection: 'close' });
    await handleMcp(req, res, log);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error, path: req.url?.split('?')[0] }, 'request failed');
      writeRpcError(res, 500, -32603, 'Internal error');
      if (!res.writableEnded) res.end();
    });
  });

  return {
    server,
    async shutdown() {
      stopping = true;
      await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)));
      server.closeAllConnections();
    },
  };
}
