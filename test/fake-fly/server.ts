import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlyErrorStatus } from '../../api/machines/fly-types.ts';
import { FLY_RATE_RULES, type RateRule } from '../../api/machines/rate-limiter.ts';
import { flyError, HANDLERS, type FakeReply } from './handlers.ts';
import { OpenApiContract } from './openapi-contract.ts';
import { FakeWorld, type CheckState, type FakeApp, type FakeMachine, type MachineBehavior } from './state.ts';

/**
 * A local fake of the Fly Machines API: a real HTTP server on 127.0.0.1 speaking Fly's wire protocol,
 * checking every request against the OpenAPI spec, enforcing Fly's rate limits, and injecting faults
 * on demand. Used by the tests and by bench/.
 */

export interface FakeFaults {
  /** Fraction of requests refused before Fly acts, with one of `errorStatuses`. */
  errorRate: number;
  errorStatuses: number[];
  /** Fraction of requests never answered (the client times out); not applied. */
  hangRate: number;
  /** Fraction of requests applied whose answer is lost (connection dropped). */
  lostResponseRate: number;
  /** Added to every answer. */
  latencyMs: number;
  /** Route keys (`POST /v1/apps/{app_name}/machines`) the faults apply to; all when undefined. */
  routes: string[] | undefined;
  /** The next N matching requests fail with `errorStatuses[0]` (deterministic, before the rates). */
  failNext: number;
  /** The `status` field of injected errors (e.g. `insufficient_capacity` with a 412). */
  flyStatus: FlyErrorStatus;
}

export interface FakeFlyOptions {
  /** The token the fake accepts; any is accepted when undefined (the header must still be well formed). */
  token?: string;
  orgSlug?: string;
  transitionMs?: number;
  destroyedVisibleMs?: number;
  initialCheckStatus?: CheckState;
  pageSize?: number;
  /** Enforce Fly's rate limits with 429s (default true). */
  rateLimits?: boolean;
  seed?: number;
  specPath?: string;
  faults?: Partial<FakeFaults>;
}

export interface ContractViolation {
  method: string;
  path: string;
  issues: string[];
}

const NO_FAULTS: FakeFaults = { errorRate: 0, errorStatuses: [429, 500, 502, 503], hangRate: 0, lostResponseRate: 0, latencyMs: 0, routes: undefined, failNext: 0, flyStatus: 'unknown' };
const ROUTES = Object.keys(HANDLERS).map((key) => {
  const [method, template] = key.split(' ') as [string, string];
  return { key, method, template, pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`), names: [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!) };
});

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FakeFlyServer {
  readonly world: FakeWorld;
  readonly contract: OpenApiContract;
  readonly violations: ContractViolation[] = [];
  /** Authorization headers received, in order (token-scheme tests). */
  readonly authorizations: string[] = [];
  /** Requests answered 429 by the rate limits (not by injected faults). */
  rateLimited = 0;
  readonly orgSlug: string;
  private faults: FakeFaults;
  private readonly counts = new Map<string, number>();
  private readonly limitedCounts = new Map<string, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly random: () => number;
  private server: Server | undefined;
  private baseUrl = '';

  private constructor(private readonly options: FakeFlyOptions) {
    this.orgSlug = options.orgSlug ?? 'hangar-test';
    this.world = new FakeWorld({
      transitionMs: options.transitionMs ?? 5,
      destroyedVisibleMs: options.destroyedVisibleMs ?? 50,
      initialCheckStatus: options.initialCheckStatus ?? 'passing',
    });
    this.contract = new OpenApiContract(options.specPath);
    this.faults = { ...NO_FAULTS, ...options.faults };
    this.random = seeded(options.seed ?? 42);
  }

  /** Starts a fake on a free port of 127.0.0.1. */
  static async start(options: FakeFlyOptions = {}): Promise<FakeFlyServer> {
    const fake = new FakeFlyServer(options);
    const server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake.server = server;
    fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Replaces the fault settings (unset fields go back to "no fault"). */
  setFaults(faults: Partial<FakeFaults>): void {
    this.faults = { ...NO_FAULTS, ...faults };
  }

  /** Requests received per route key (`GET /v1/apps/{app_name}/machines`), contract-rejected ones included. */
  /** Requests to `key` the rate limits refused with 429 (Fly refuses them before acting: they changed nothing). */
  rateLimitedCount(key: string): number {
    return this.limitedCounts.get(key) ?? 0;
  }

  callCount(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Total requests received. */
  totalCalls(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  resetCounts(): void {
    this.counts.clear();
    this.limitedCounts.clear();
    this.rateLimited = 0;
  }

  /** Marks an app name as taken by another organization. */
  reserveAppName(name: string): void {
    this.world.foreignNames.add(name);
  }

  app(name: string): FakeApp | undefined {
    return this.world.apps.get(name);
  }

  machines(appName: string): FakeMachine[] {
    return [...(this.world.apps.get(appName)?.machines.values() ?? [])];
  }

  /** Secret values as stored (only tests read these). */
  secrets(appName: string): Record<string, string> {
    return Object.fromEntries([...(this.world.apps.get(appName)?.secrets ?? [])].map(([name, s]) => [name, s.value]));
  }

  crash(appName: string, machineId: string, exit: { exitCode: number; oomKilled?: boolean; final?: 'stopped' | 'failed' }): void {
    const { app, machine } = this.locate(appName, machineId);
    this.world.crash(app, machine, { exitCode: exit.exitCode, oomKilled: exit.oomKilled ?? false, final: exit.final });
  }

  setCheck(appName: string, machineId: string, status: CheckState, name?: string): void {
    this.world.setCheck(this.locate(appName, machineId).machine, status, name);
  }

  setBehavior(appName: string, machineId: string, behavior: MachineBehavior): void {
    this.locate(appName, machineId).machine.behavior = behavior;
  }

  async close(): Promise<void> {
    this.world.close();
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private locate(appName: string, machineId: string): { app: FakeApp; machine: FakeMachine } {
    const app = this.world.apps.get(appName);
    const machine = app?.machines.get(machineId);
    if (!app || !machine) throw new Error(`fake fly: no machine ${machineId} in ${appName}`);
    return { app, machine };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const route = ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname));
    const key = route ? route.key : `${method} ${url.pathname}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);

    const auth = this.checkAuth(req.headers.authorization);
    if (auth) return this.reply(res, auth);
    if (this.contract.available) {
      const result = this.contract.check({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
      if (result.issues.length > 0) {
        this.violations.push({ method, path: url.pathname, issues: result.issues });
        return this.reply(res, flyError(400, `request does not match the Machines API contract: ${result.issues.join('; ')}`));
      }
    }
    if (!route) {
      this.violations.push({ method, path: url.pathname, issues: ['route not served by the fake'] });
      return this.reply(res, flyError(404, 'not found'));
    }
    if (this.options.rateLimits !== false && !this.takeToken(route.template, method, url.pathname)) {
      this.rateLimited += 1;
      this.limitedCounts.set(key, (this.limitedCounts.get(key) ?? 0) + 1);
      return this.reply(res, flyError(429, 'rate limit exceeded'));
    }
    const faults = this.faults;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    const faulty = !faults.routes || faults.routes.includes(key);
    if (faulty && faults.failNext > 0) {
      faults.failNext -= 1;
      return this.reply(res, flyError(faults.errorStatuses[0] ?? 503, 'injected failure', faults.flyStatus));
    }
    if (faulty && this.random() < faults.hangRate) return void this.hanging.add(res);
    if (faulty && this.random() < faults.errorRate) {
      const status = faults.errorStatuses[Math.floor(this.random() * faults.errorStatuses.length)] ?? 503;
      return this.reply(res, flyError(status, 'injected failure', faults.flyStatus));
    }
    let parsed: Record<string, unknown> = {};
    try {
      parsed = body.trim() ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return this.reply(res, flyError(400, 'invalid JSON'));
    }
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = decodeURIComponent(route.pattern.exec(url.pathname)![i + 1]!)));
    const answer = await HANDLERS[route.key]!({ world: this.world, org: this.orgSlug, params, query: url.searchParams, headers: req.headers, body: parsed, pageSize: this.options.pageSize ?? 100 });
    if (faulty && this.random() < faults.lostResponseRate) return void res.socket?.destroy();
    this.reply(res, answer);
  }

  /** Fly's schemes: `Bearer <token>` for plain tokens, `FlyV1 <macaroon>` for fm1r_/fm1a_/fm2_ tokens. */
  private checkAuth(header: string | undefined): FakeReply | undefined {
    this.authorizations.push(header ?? '');
    if (!header || !/^(Bearer|FlyV1) \S+$/.test(header)) return flyError(401, 'missing or malformed authorization');
    const token = this.options.token;
    if (token === undefined) return undefined;
    const expected = /^FlyV1 /.test(token) ? token : /^(fm1r_|fm1a_|fm2_)/.test(token) ? `FlyV1 ${token}` : `Bearer ${token}`;
    return header === expected ? undefined : flyError(401, 'unauthorized');
  }

  private takeToken(template: string, method: string, path: string): boolean {
    const segments = path.split('/');
    const rule: RateRule =
      method === 'DELETE' && template === '/v1/apps/{app_name}'
        ? FLY_RATE_RULES.deleteApp
        : method === 'GET' && template === '/v1/apps/{app_name}/machines/{machine_id}'
          ? FLY_RATE_RULES.getMachine
          : FLY_RATE_RULES.action;
    const orgScoped = template === '/v1/apps' || rule === FLY_RATE_RULES.deleteApp;
    const scope = orgScoped ? 'org' : template.includes('{machine_id}') ? `${segments[3]}/${segments[5]}` : segments[3];
    const key = `${method} ${template} ${scope}`;
    const now = Date.now();
    const bucket = this.buckets.get(key) ?? { tokens: rule.burst, at: now };
    bucket.tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.at) * rule.perSecond) / 1000);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private reply(res: ServerResponse, answer: FakeReply): void {
    if (res.destroyed) return;
    const headers: Record<string, string> = { 'fly-request-id': `01${randomBytes(12).toString('hex')}`, ...answer.headers };
    if (answer.body !== undefined) headers['content-type'] = 'application/json';
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
