import { request as httpRequest } from 'node:http';
import type { FuzzWorld } from './fuzz-world.ts';
import { listOperations, type Operation } from './openapi-operations.ts';
import { rawRequest, sendRaw } from './raw-http.ts';
import { buildRequest, type FuzzRequest } from './request-builder.ts';
import { Rng } from './rng.ts';

export interface FuzzReport {
  seed: number;
  requests: number;
  statuses: Record<string, number>;
  /** Responses with a 5xx status other than a designed 503 (see `unavailable`). */
  serverErrors: number;
  /** 503s with the error shape and a designed code (e.g. `deployment_not_running` from the MCP proxy). */
  unavailable: Record<string, number>;
  /** Connections the server closed before answering (its body drain gave up); each request was resent once. */
  resets: number;
  /** Every broken rule, with the request that broke it (capped). */
  failures: string[];
  batches: number;
  /** Batches (of 4 concurrent requests) in which every request was rejected, so row counts were compared. */
  batchesCompared: number;
  operations: number;
  /** Where the time went: total milliseconds by request kind (label minus its body kind), largest first. */
  slowest: Array<[string, number]>;
}

interface Outcome {
  status: number | undefined;
  rejected: boolean;
  /** The error code of a designed 503. */
  unavailableCode?: string;
  reset?: boolean;
}

/** Requests sent at once; row counts are compared around each such batch. */
const BATCH = 4;
const MAX_FAILURES = 30;

/** Operations of the served OpenAPI document plus the app's routes that are not in it (e.g. /metrics, /docs). */
export async function fuzzOperations(world: FuzzWorld): Promise<{ operations: Operation[]; resolve: ReturnType<typeof listOperations>['resolve'] }> {
  const doc = (await (await fetch(`${world.baseUrl}/openapi.json`)).json()) as Parameters<typeof listOperations>[0];
  const { operations, resolve } = listOperations(doc);
  const known = new Set(operations.map((op) => `${op.method} ${op.path}`));
  for (const route of world.hangar.app.routes) {
    if (route.method === 'ALL' || known.has(`${route.method} ${route.path}`)) continue;
    known.add(`${route.method} ${route.path}`);
    const pathParams = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
    operations.push({ method: route.method, path: route.path, pathParams, queryParams: [], body: undefined });
  }
  return { operations, resolve };
}

/** The code of a 503 that is a designed answer (error shape, not `internal_error`), else undefined. */
function designedUnavailable(status: number, text: string): string | undefined {
  if (status !== 503) return undefined;
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' && code !== 'internal_error' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An error page of api/pages (HTML routes answer errors as pages): it names its error code and the request
 * id, and a 5xx is only a designed one (not `internal_error`).
 */
function designedPage(status: number, requestIdHeader: string | null, text: string): boolean {
  if (!text.startsWith('<!doctype html>') || !requestIdHeader) return false;
  const code = text.match(/Error code: <code>([a-z_]+)<\/code> · Request id: <code>([^<]+)<\/code>/);
  return Boolean(code && code[2] === requestIdHeader && (status < 500 || code[1] !== 'internal_error'));
}

/**
 * Checks one app response: no 5xx (a designed 503 aside: a dependency such as the tenant's MCP server is
 * down), a request id, and for 4xx and 503 the `{ error: { code, message, requestId } }` shape.
 */
function checkResponse(label: string, status: number, requestIdHeader: string | null, text: string, method: string): string | undefined {
  if (status >= 500 && !designedUnavailable(status, text) && !designedPage(status, requestIdHeader, text)) return `${label}: ${status} ${text.slice(0, 200)}`;
  // Node's HTTP parser answers 431 itself when the request line and headers pass 16 KiB: no Hangar code runs.
  if (status === 431 && !requestIdHeader) return undefined;
  if (!requestIdHeader) return `${label}: ${status} without X-Request-Id`;
  if (status < 400 || method === 'HEAD') return undefined;
  if (text.startsWith('<!doctype html>')) return designedPage(status, requestIdHeader, text) ? undefined : `${label}: ${status} page lacks the error code and request id: ${text.slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${label}: ${status} body is not JSON: ${text.slice(0, 120)}`;
  }
  // The OAuth client endpoints answer as RFC 6749 §5.2 / RFC 7591 §3.2.2 say: `{ error, error_description }`.
  const oauth = body as { error?: unknown; error_description?: unknown } | null;
  if (/^\w+ \/oauth\//.test(label) && typeof oauth?.error === 'string' && typeof oauth.error_description === 'string') return undefined;
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || error.requestId !== requestIdHeader) {
    return `${label}: ${status} body lacks the error shape: ${text.slice(0, 200)}`;
  }
  return undefined;
}

interface HttpAnswer {
  status: number;
  requestId: string | undefined;
  text: string;
}

/**
 * One request on its own connection (no keep-alive): a server that answers early and closes (413 before
 * reading a huge body) must not be mistaken for one that failed, and no request inherits another's socket.
 * Resolves with the answer even if writing the rest of the body then fails; undefined when none came.
 */
function sendOnce(port: number, request: FuzzRequest): Promise<HttpAnswer | { error: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: HttpAnswer | { error: string }) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        // An explicit length: Node's client would send a DELETE body unframed, which no server reads as a body.
        headers: { ...request.headers, connection: 'close', ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }) },
        agent: false,
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const header = res.headers['x-request-id'];
          done({ status: res.statusCode ?? 0, requestId: typeof header === 'string' ? header : undefined, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (error: NodeJS.ErrnoException) => done({ error: error.code ?? error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      // Let a response already on its way win over a write error on the rest of the body.
      setTimeout(() => done({ error: error.code ?? error.message }), 50);
    });
    req.end(request.body);
  });
}

async function sendHttp(world: FuzzWorld, request: FuzzRequest): Promise<{ outcome: Outcome; failure?: string }> {
  const answer = await sendOnce(world.port, request);
  if ('error' in answer) return { outcome: { status: undefined, rejected: true, reset: true }, failure: `${request.label}: no answer (${answer.error})` };
  const failure = checkResponse(request.label, answer.status, answer.requestId ?? null, answer.text, request.method);
  return { outcome: { status: answer.status, rejected: answer.status >= 400, unavailableCode: designedUnavailable(answer.status, answer.text) }, failure };
}

async function sendOne(rng: Rng, world: FuzzWorld, ops: Operation[], resolve: ReturnType<typeof listOperations>['resolve']): Promise<{ outcome: Outcome; failure?: string; label: string }> {
  if (rng.chance(0.05)) {
    const { label, bytes } = rawRequest(rng, `127.0.0.1:${world.port}`, rng.chance(0.5) ? `Authorization: ${world.attacker.keyHeaders.authorization}\r\n` : '');
    const res = await sendRaw(world.port, bytes);
    // Node's own parser answers malformed framing (400/431, no request id); anything the app answered is checked fully.
    const failure =
      res.status !== undefined && (res.status >= 500 || res.headers['x-request-id'] !== undefined)
        ? checkResponse(label, res.status, res.headers['x-request-id'] ?? null, res.body, 'GET')
        : undefined;
    return { outcome: { status: res.status, rejected: res.status === undefined || res.status >= 400 }, failure, label };
  }
  const request = buildRequest(rng, rng.pick(ops), world, resolve);
  return { ...(await sendHttp(world, request)), label: request.label };
}

/**
 * Sends `total` seeded random requests in batches. The requests of a batch run at once;
 * around a batch whose requests were all rejected, every table's row count must be unchanged.
 */
export async function runFuzz(world: FuzzWorld, options: { seed: number; total: number }): Promise<FuzzReport> {
  const rng = new Rng(options.seed);
  const { operations, resolve } = await fuzzOperations(world);
  const report: FuzzReport = { seed: options.seed, requests: 0, statuses: {}, serverErrors: 0, unavailable: {}, resets: 0, failures: [], batches: 0, batchesCompared: 0, operations: operations.length, slowest: [] };
  const timing = new Map<string, number>();
  const fail = (message: string) => {
    if (report.failures.length < MAX_FAILURES) report.failures.push(message);
  };
  let before = await world.countRows();
  while (report.requests < options.total) {
    const size = Math.min(BATCH, options.total - report.requests);
    // Draw every request of the batch from the RNG up front, so concurrency cannot change the sequence.
    const seeds = Array.from({ length: size }, () => rng.int(0, 2 ** 31));
    const results = await Promise.all(
      seeds.map(async (s) => {
        const started = performance.now();
        const result = await sendOne(new Rng(s), world, operations, resolve);
        const kind = result.label.replace(/, [a-z_]+\)$/, ')');
        timing.set(kind, (timing.get(kind) ?? 0) + performance.now() - started);
        return result;
      }),
    );
    const after = await world.countRows();
    report.batches += 1;
    for (const { outcome, failure } of results) {
      const key = String(outcome.status ?? 'closed');
      report.statuses[key] = (report.statuses[key] ?? 0) + 1;
      if (outcome.unavailableCode) report.unavailable[outcome.unavailableCode] = (report.unavailable[outcome.unavailableCode] ?? 0) + 1;
      else if (outcome.status !== undefined && outcome.status >= 500) report.serverErrors += 1;
      if (outcome.reset) report.resets += 1;
      if (failure) fail(`[batch ${report.batches}] ${failure}`);
    }
    if (results.every((r) => r.outcome.rejected)) {
      report.batchesCompared += 1;
      const changed = Object.keys(after).filter((table) => after[table] !== before[table]);
      if (changed.length > 0) {
        fail(`[batch ${report.batches}] rows stored by rejected requests: ${changed.map((t) => `${t} ${before[t]}->${after[t]}`).join(', ')}; requests: ${results.map((r) => r.label).join(' | ')}`);
      }
    }
    report.requests += size;
    before = after;
  }
  report.slowest = [...timing.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, ms]) => [k, Math.round(ms)]);
  return report;
}
