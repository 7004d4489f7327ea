import { randomUUID } from 'node:crypto';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { SessionBridge } from '../session-bridge.ts';
import { LEGACY_VERSIONS, MODERN_VERSION, type ModernRequest } from './classify.ts';

type Json = Record<string, unknown>;
export type Answer = { result: Json } | { error: { code: number; message: string; data?: unknown } };

const LIST_METHODS = new Set(['tools/list', 'resources/list', 'resources/templates/list', 'prompts/list']);
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const REQUEST_TIMEOUT_MS = 300_000;

/** Adds the 2026-07-28 result fields a session-era server does not write; `private` and 0 ms: always safe. */
export function annotateResult(method: string, result: Json): Json {
  const annotated: Json = { ...result, resultType: result.resultType ?? 'complete' };
  if (LIST_METHODS.has(method) || method === 'server/discover') {
    annotated.ttlMs ??= 0;
    annotated.cacheScope ??= 'private';
  }
  return annotated;
}

/** Drops the per-request envelope keys a session-era server never saw (progressToken and others stay). */
function stripEnvelope(params: Json): Json {
  const meta = params._meta as Json | undefined;
  if (!meta) return params;
  const kept = Object.fromEntries(Object.entries(meta).filter(([key]) => !key.startsWith('io.modelcontextprotocol/')));
  const { _meta: _dropped, ...rest } = params;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}

/**
 * Serves 2026-07-28 requests on the stdio server's one session: each request rides a short-lived bridge
 * session (so ids, progress tokens and cancellation reuse the bridge's routing), the server is
 * initialized once (by the first legacy or stateless client) and `server/discover` is answered from that
 * cached InitializeResult.
 */
export class StatelessTranslator {
  private init: Promise<Json | undefined> | undefined;

  constructor(private readonly bridge: SessionBridge) {}

  async handle(request: ModernRequest): Promise<Answer> {
    const initialized = await this.initialized(request);
    if (!initialized) return { error: { code: -32603, message: 'MCP server did not initialize' } };
    if (request.method === 'server/discover') {
      const { protocolVersion: _version, serverInfo, capabilities, instructions } = initialized;
      const result: Json = { supportedVersions: [MODERN_VERSION, ...LEGACY_VERSIONS], capabilities: capabilities ?? {} };
      if (typeof instructions === 'string') result.instructions = instructions;
      if (serverInfo) result._meta = { [SERVER_INFO]: serverInfo };
      return { result: annotateResult(request.method, result) };
    }
    const answer = await this.roundTrip({ jsonrpc: '2.0', id: 0, method: request.method, params: stripEnvelope(request.params) });
    if ('result' in answer) return { result: annotateResult(request.method, answer.result) };
    return answer;
  }

  /** The server's InitializeResult, initializing it through the bridge (with this client's capabilities) once. */
  private initialized(request: ModernRequest): Promise<Json | undefined> {
    this.init ??= this.roundTrip(
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: LEGACY_VERSIONS[0],
          capabilities: request.clientCapabilities,
          clientInfo: request.clientInfo ?? { name: 'hangar-runner-stateless', version: '1.0.0' },
        },
      },
      true,
    ).then((answer) => {
      if ('result' in answer) return answer.result;
      this.init = undefined;
      return undefined;
    });
    return this.init;
  }

  /** Sends one request on a fresh bridge session and resolves with its response. */
  private roundTrip(message: { jsonrpc: '2.0'; id: RequestId; method: string; params: Json }, initialize = false): Promise<Answer> {
    const id = `stateless-${randomUUID()}`;
    return new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => finish({ error: { code: -32001, message: 'Request timed out' } }), REQUEST_TIMEOUT_MS);
      const finish = (answer: Answer) => {
        clearTimeout(timer);
        resolve(answer);
        this.bridge.closeSession(id);
      };
      this.bridge.openSession({
        id,
        send: async (sent: JSONRPCMessage) => {
          if (!('id' in sent) || sent.id !== message.id || 'method' in sent) return;
          if (initialize && 'result' in sent) await this.bridge.fromClient(id, { jsonrpc: '2.0', method: 'notifications/initialized' });
          if ('result' in sent) finish({ result: sent.result as Json });
          else if ('error' in sent) finish({ error: sent.error });
        },
      });
      void this.bridge.fromClient(id, message as JSONRPCMessage);
    });
  }
}
