import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResultResponse,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { META_PROTOCOL_VERSION } from './stateless/classify.ts';
import { discoverRequest, envelopeOfInitialize, initializeResultFrom, modernDiscoverOf, withEnvelope, type Envelope, type UpstreamEra } from './upstream-era.ts';

/** One client's Streamable HTTP session, as the bridge sees it. */
export interface BridgeSession {
  readonly id: string;
  /** Sends to the client: on the POST stream of `relatedRequestId` when given, else on the GET stream. */
  send(message: JSONRPCMessage, relatedRequestId?: RequestId): Promise<void>;
}

/** Where the bridge writes messages for the stdio server. Returns false when the server is gone. */
export interface ChildSink {
  send(message: JSONRPCMessage): boolean;
}

type Response = JSONRPCResultResponse | JSONRPCErrorResponse;

interface PendingRequest {
  sessionId: string;
  originalId: RequestId;
  progressToken: string | number | undefined;
  runnerToken: string | undefined;
  onResponse: ((response: Response) => void) | undefined;
}

interface SessionEntry {
  session: BridgeSession;
  lastActive: number;
  inFlight: Set<number>;
  /** A session client's `_meta` envelope, added to its requests when the stdio server speaks 2026-07-28. */
  envelope?: Envelope;
}

const SERVER_GONE = -32000;

/**
 * Multiplexes many Streamable HTTP sessions onto the one stdio MCP server.
 *
 * - The server is initialized once, by the first client's `initialize` (so it sees that client's
 *   capabilities); later sessions get the cached InitializeResult and their `notifications/initialized`
 *   is not forwarded again.
 * - Every client request gets a runner-owned numeric id (and progress token), so ids never collide
 *   between sessions or with the runner's own health `ping`; responses and progress go back to the
 *   request's session and POST stream with the client's original id and token.
 * - Server notifications that belong to no request (logging, list_changed, resource updates) are
 *   broadcast on every session's GET stream. Server-to-client requests (sampling, elicitation, roots)
 *   go to the session with the most recent request in flight (on that request's stream), else to the
 *   most recently active session's GET stream; its answer is routed back to the server.
 * Shared server state (logging level, subscriptions) is therefore shared by all sessions.
 * - A stdio server that speaks 2026-07-28 itself (`probeUpstream`) is never sent `initialize`: session
 *   clients get an InitializeResult built from its `server/discover` answer and their requests carry the
 *   2026-07-28 `_meta` envelope (their own capabilities and clientInfo).
 */
export class SessionBridge {
  private nextId = 1;
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly internal = new Map<number, (response: Response | undefined) => void>();
  private readonly progress = new Map<string, number>();
  private readonly serverRequests = new Map<string, string>();
  private initResult: JSONRPCResultResponse['result'] | undefined;
  private initializing: Promise<void> | undefined;
  private initializeOwner: string | undefined;
  private initializedSent = false;
  private upstream: UpstreamEra = { kind: 'legacy' };
  private settled = true;
  private ready: Promise<void> = Promise.resolve();

  constructor(
    private readonly child: ChildSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Registers a client session (after its transport assigned the session id). */
  openSession(session: BridgeSession): void {
    this.sessions.set(session.id, { session, lastActive: this.now(), inFlight: new Set() });
  }

  /** Forgets a session: its requests in flight are cancelled at the server, its pending server requests fail. */
  closeSession(sessionId: string): void {
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    this.sessions.delete(sessionId);
    for (const runnerId of [...entry.inFlight]) {
      this.dropPending(runnerId)?.onResponse?.({ jsonrpc: '2.0', id: runnerId, error: { code: SERVER_GONE, message: 'Client session closed' } });
      this.child.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: runnerId, reason: 'session closed' } });
    }
    for (const [key, owner] of this.serverRequests) {
      if (owner !== sessionId) continue;
      this.serverRequests.delete(key);
      this.child.send({ jsonrpc: '2.0', id: JSON.parse(key) as RequestId, error: { code: SERVER_GONE, message: 'Client session closed' } });
    }
  }

  /** Ids of open sessions, least recently active first (for eviction). */
  sessionIdsByActivity(): string[] {
    return [...this.sessions.entries()].sort((a, b) => a[1].lastActive - b[1].lastActive).map(([id]) => id);
  }

  /**
   * Asks the stdio server `server/discover` before anything else reaches it; client messages wait for the
   * verdict. A DiscoverResult naming 2026-07-28 makes the server `modern`; any other answer, none within
   * `timeoutMs`, or the server exiting falls back to `legacy` (initialize as before).
   */
  probeUpstream(timeoutMs: number): Promise<UpstreamEra> {
    this.settled = false;
    const probe = this.internalRequest((id) => discoverRequest(id), timeoutMs).then((answer) => {
      const discover = modernDiscoverOf(answer);
      this.upstream = discover ? { kind: 'modern', discover } : { kind: 'legacy' };
      this.settled = true;
      return this.upstream;
    });
    this.ready = probe.then(() => undefined);
    return probe;
  }

  /** The stdio server's revision, once the probe (if any) has settled. */
  async upstreamEra(): Promise<UpstreamEra> {
    await this.ready;
    return this.upstream;
  }

  /**
   * Health: true when the server answers a `ping` (a 2026-07-28 server: a `server/discover`, since ping is
   * not in that revision) within `timeoutMs`, the revision probe included when it is still out.
   */
  async ping(timeoutMs: number): Promise<boolean> {
    if (!this.settled) {
      let timer: NodeJS.Timeout | undefined;
      const probed = await Promise.race([this.ready.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
      clearTimeout(timer);
      if (!probed) return false;
    }
    const modern = this.upstream.kind === 'modern';
    const response = await this.internalRequest((id) => (modern ? discoverRequest(id) : { jsonrpc: '2.0', id, method: 'ping' }), timeoutMs);
    return response !== undefined && isJSONRPCResultResponse(response);
  }

  /** Sends one runner-owned request to the server; resolves with its answer, or undefined (timeout, server gone). */
  private async internalRequest(build: (id: number) => JSONRPCRequest, timeoutMs: number): Promise<Response | undefined> {
    const id = this.nextId++;
    const answered = new Promise<Response | undefined>((resolve) => this.internal.set(id, resolve));
    if (!this.child.send(build(id))) {
      this.internal.delete(id);
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const response = await Promise.race([answered, timedOut]);
    clearTimeout(timer);
    this.internal.delete(id);
    return response;
  }

  /** Fails everything in flight: the server exited. */
  failAll(): void {
    for (const resolve of this.internal.values()) resolve(undefined);
    this.internal.clear();
    for (const runnerId of [...this.pending.keys()]) {
      this.routeResponse({ jsonrpc: '2.0', id: runnerId, error: { code: SERVER_GONE, message: 'MCP server exited' } });
    }
  }

  /** Handles one message a client sent on its session. */
  async fromClient(sessionId: string, message: JSONRPCMessage): Promise<void> {
    if (!this.settled) await this.ready;
    const entry = this.sessions.get(sessionId);
    if (!entry) return;
    entry.lastActive = this.now();
    if (isJSONRPCRequest(message)) {
      if (message.method === 'initialize') return this.initialize(entry, message);
      this.forwardRequest(entry, message, undefined);
    } else if (isJSONRPCNotification(message)) {
      this.forwardClientNotification(sessionId, message);
    } else if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const key = JSON.stringify(message.id);
      if (this.serverRequests.get(key) !== sessionId) return;
      this.serverRequests.delete(key);
      this.child.send(message);
    }
  }

  /** Handles one message the stdio server wrote. */
  fromChild(message: JSONRPCMessage): void {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) return this.routeResponse(message);
    if (isJSONRPCRequest(message)) return this.routeServerRequest(message);
    if (isJSONRPCNotification(message)) this.routeServerNotification(message);
  }

  private async initialize(entry: SessionEntry, request: JSONRPCRequest): Promise<void> {
    if (this.upstream.kind === 'modern') {
      entry.envelope = envelopeOfInitialize(request.params);
      await this.send(entry, { jsonrpc: '2.0', id: request.id, result: initializeResultFrom(this.upstream.discover, request.params?.protocolVersion) });
      return;
    }
    while (!this.initResult && this.initializing) await this.initializing;
    if (this.initResult) {
      await this.send(entry, { jsonrpc: '2.0', id: request.id, result: this.initResult });
      return;
    }
    let settle: () => void = () => undefined;
    this.initializing = new Promise((resolve) => (settle = resolve));
    this.initializeOwner = entry.session.id;
    this.forwardRequest(entry, request, (response) => {
      if (isJSONRPCResultResponse(response)) this.initResult = response.result;
      this.initializing = undefined;
      settle();
    });
  }

  private forwardRequest(entry: SessionEntry, request: JSONRPCRequest, onResponse: PendingRequest['onResponse']): void {
    const runnerId = this.nextId++;
    let params = request.params;
    if (this.upstream.kind === 'modern' && entry.envelope && !(params?._meta && META_PROTOCOL_VERSION in params._meta)) {
      params = withEnvelope(params, entry.envelope);
    }
    const meta = params?._meta;
    const progressToken = meta?.progressToken;
    let runnerToken: string | undefined;
    if (progressToken !== undefined) {
      runnerToken = `hangar-${runnerId}`;
      params = { ...params, _meta: { ...meta, progressToken: runnerToken } };
      this.progress.set(runnerToken, runnerId);
    }
    this.pending.set(runnerId, { sessionId: entry.session.id, originalId: request.id, progressToken, runnerToken, onResponse });
    entry.inFlight.add(runnerId);
    const forwarded: JSONRPCRequest = params === undefined ? { ...request, id: runnerId } : { ...request, id: runnerId, params };
    if (!this.child.send(forwarded)) {
      this.routeResponse({ jsonrpc: '2.0', id: runnerId, error: { code: SERVER_GONE, message: 'MCP server is not running' } });
    }
  }

  private forwardClientNotification(sessionId: string, notification: JSONRPCNotification): void {
    if (notification.method === 'notifications/initialized') {
      if (this.upstream.kind === 'modern' || sessionId !== this.initializeOwner || this.initializedSent) return;
      this.initializedSent = true;
    }
    if (notification.method === 'notifications/cancelled') {
      const requestId = notification.params?.requestId;
      const runnerId = [...this.pending].find(([, p]) => p.sessionId === sessionId && p.originalId === requestId)?.[0];
      if (runnerId === undefined) return;
      this.child.send({ ...notification, params: { ...notification.params, requestId: runnerId } });
      return;
    }
    this.child.send(notification);
  }

  private routeResponse(response: Response): void {
    const runnerId = typeof response.id === 'number' ? response.id : Number.NaN;
    const internal = this.internal.get(runnerId);
    if (internal) return internal(response);
    const pending = this.dropPending(runnerId);
    if (!pending) return;
    pending.onResponse?.(response);
    this.reply(pending.sessionId, { ...response, id: pending.originalId });
  }

  private routeServerRequest(request: JSONRPCRequest): void {
    const target = this.pickSessionForServerRequest();
    if (!target) {
      this.child.send({ jsonrpc: '2.0', id: request.id, error: { code: SERVER_GONE, message: 'No client session is connected' } });
      return;
    }
    this.serverRequests.set(JSON.stringify(request.id), target.entry.session.id);
    void this.send(target.entry, request, target.relatedRequestId);
  }

  private routeServerNotification(notification: JSONRPCNotification): void {
    if (notification.method === 'notifications/progress') {
      const token = notification.params?.progressToken;
      const runnerId = typeof token === 'string' ? this.progress.get(token) : undefined;
      const pending = runnerId === undefined ? undefined : this.pending.get(runnerId);
      const entry = pending && this.sessions.get(pending.sessionId);
      if (!pending || !entry) return;
      const params = { ...notification.params, progressToken: pending.progressToken };
      void this.send(entry, { ...notification, params } as JSONRPCNotification, pending.originalId);
      return;
    }
    if (notification.method === 'notifications/cancelled') {
      const key = JSON.stringify(notification.params?.requestId);
      const owner = this.serverRequests.get(key);
      const entry = owner === undefined ? undefined : this.sessions.get(owner);
      this.serverRequests.delete(key);
      if (entry) void this.send(entry, notification);
      return;
    }
    for (const entry of this.sessions.values()) void this.send(entry, notification);
  }

  private pickSessionForServerRequest(): { entry: SessionEntry; relatedRequestId: RequestId | undefined } | undefined {
    let best: SessionEntry | undefined;
    let bestRunnerId = -1;
    for (const entry of this.sessions.values()) {
      for (const runnerId of entry.inFlight) {
        if (runnerId > bestRunnerId) [best, bestRunnerId] = [entry, runnerId];
      }
    }
    if (best) return { entry: best, relatedRequestId: this.pending.get(bestRunnerId)?.originalId };
    const latest = [...this.sessions.values()].sort((a, b) => b.lastActive - a.lastActive)[0];
    return latest ? { entry: latest, relatedRequestId: undefined } : undefined;
  }

  private dropPending(runnerId: number): PendingRequest | undefined {
    const pending = this.pending.get(runnerId);
    if (!pending) return undefined;
    this.pending.delete(runnerId);
    if (pending.runnerToken) this.progress.delete(pending.runnerToken);
    this.sessions.get(pending.sessionId)?.inFlight.delete(runnerId);
    return pending;
  }

  private reply(sessionId: string, response: Response): void {
    const entry = this.sessions.get(sessionId);
    if (entry) void this.send(entry, response);
  }

  private async send(entry: SessionEntry, message: JSONRPCMessage, relatedRequestId?: RequestId): Promise<void> {
    try {
      await entry.session.send(message, relatedRequestId);
    } catch {
      // The client's stream is gone (disconnected or closed): the message has nowhere to go.
    }
  }
}
