import type pg from 'pg';
import type { PassResult } from '../deployments/reconciler.ts';
import { countBacklog } from '../deployments/lease.ts';
import { DEPLOYMENT_STATES } from '../deployments/states.ts';
import type { Clock } from '../platform/clock.ts';
import { LATENCY_BUCKETS, MetricsRegistry, type Counter, type Gauge, type Histogram } from './registry.ts';

/** What the reconciler loop reports after each pass (implemented by HangarMetrics; tests may pass their own). */
export interface ReconcilerObserver {
  passCompleted(result: PassResult): void;
  passFailed(): void;
}

/**
 * What the Fly client reports for every HTTP attempt: `outcome` is the HTTP status as text, or `timeout` /
 * `network` when Fly gave no answer; `failed` is true when the attempt counts as an error.
 */
export interface FlyCallObserver {
  flyCall(call: { route: string; outcome: string; failed: boolean; seconds: number }): void;
}

/** One finished HTTP request, labelled by route pattern (never the raw URL). */
export interface RequestObservation {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

/**
 * Hangar's metrics, one instance per process (services.metrics). Counters and histograms are updated as
 * things happen; deployments per state and the reconciler backlog are read from PostgreSQL at scrape time.
 */
export class HangarMetrics implements ReconcilerObserver, FlyCallObserver {
  readonly registry = new MetricsRegistry();
  private readonly requests: Counter;
  private readonly requestSeconds: Histogram;
  private readonly inFlight: Gauge;
  private readonly rateLimited: Counter;
  private readonly passSeconds: Histogram;
  private readonly claimed: Counter;
  private readonly lastClaimed: Gauge;
  private readonly moves: Counter;
  private readonly moveErrors: Counter;
  private readonly passFailures: Counter;
  private readonly backlog: Gauge;
  private readonly flyCalls: Counter;
  private readonly flyErrors: Counter;
  private readonly flySeconds: Histogram;
  private readonly deployments: Gauge;
  private readonly databaseUp: Gauge;
  private readonly memory: Gauge;
  private readonly startTime: Gauge;

  constructor(options: { version: string; startedAt?: Date }) {
    const r = this.registry;
    r.gauge('hangar_build_info', 'Always 1; the version label names the running Hangar build', ['version']).set({ version: options.version }, 1);
    this.startTime = r.gauge('process_start_time_seconds', 'When this process started, in Unix seconds');
    this.startTime.set({}, Math.floor((options.startedAt ?? new Date(Date.now() - process.uptime() * 1000)).getTime() / 1000));
    this.memory = r.gauge('process_memory_bytes', 'Memory of this process by kind (rss, heap_used, heap_total, external)', ['kind']);
    this.requests = r.counter('hangar_http_requests_total', 'HTTP requests answered, by method, route pattern and status', ['method', 'route', 'status']);
    this.requestSeconds = r.histogram('hangar_http_request_duration_seconds', 'HTTP request latency by method, route pattern and status', ['method', 'route', 'status']);
    this.inFlight = r.gauge('hangar_http_requests_in_flight', 'HTTP requests being handled now');
    this.rateLimited = r.counter('hangar_rate_limited_total', 'Requests refused with 429 by a rate limit, by route pattern', ['route']);
    this.passSeconds = r.histogram('hangar_reconciler_pass_duration_seconds', 'Time one reconciler pass took', [], LATENCY_BUCKETS);
    this.claimed = r.counter('hangar_reconciler_claimed_total', 'Deployments this instance claimed (leased) for a reconcile move');
    this.lastClaimed = r.gauge('hangar_reconciler_last_pass_claimed', 'Deployments the latest pass of this instance claimed');
    this.moves = r.counter(
      'hangar_reconciler_moves_total',
      'Reconciler moves made, by kind (create, update, start, restart, stop, destroy, finish_delete, fail, observe)',
      ['move'],
    );
    this.moveErrors = r.counter('hangar_reconciler_move_errors_total', 'Moves that failed and were rescheduled with backoff');
    this.passFailures = r.counter('hangar_reconciler_pass_failures_total', 'Reconciler passes that failed as a whole (e.g. database unreachable)');
    this.backlog = r.gauge('hangar_reconciler_backlog', 'Deployments due for a move and not leased by any instance (read at scrape time)');
    this.flyCalls = r.counter('hangar_fly_api_requests_total', 'Fly Machines API attempts, by route and outcome (HTTP status, timeout or network)', ['route', 'status']);
    this.flyErrors = r.counter('hangar_fly_api_errors_total', 'Fly Machines API attempts that failed, by route and outcome', ['route', 'status']);
    this.flySeconds = r.histogram('hangar_fly_api_request_duration_seconds', 'Fly Machines API attempt latency by route', ['route']);
    this.deployments = r.gauge('hangar_deployments', 'Deployments by state, all teams (read at scrape time)', ['state']);
    this.databaseUp = r.gauge('hangar_database_up', '1 when the scrape-time database queries succeeded, else 0');
  }

  /** Counts one answered request; 429s also count as rate-limit rejections. */
  observeRequest(request: RequestObservation): void {
    const labels = { method: request.method, route: request.route, status: String(request.status) };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, request.seconds);
    if (request.status === 429) this.rateLimited.inc({ route: request.route });
  }

  /** Tracks requests in progress (+1 at start, -1 at the end). */
  trackInFlight(delta: 1 | -1): void {
    this.inFlight.add({}, delta);
  }

  /** Records a finished reconciler pass: its duration, what it claimed, each move and each failed move. */
  passCompleted(result: PassResult): void {
    this.passSeconds.observe({}, result.durationMs / 1000);
    this.claimed.inc({}, result.claimed);
    this.lastClaimed.set({}, result.claimed);
    for (const [move, count] of Object.entries(result.moves)) this.moves.inc({ move }, count);
    this.moveErrors.inc({}, result.errors);
  }

  /** Records a pass that threw before finishing. */
  passFailed(): void {
    this.passFailures.inc();
  }

  /** Records one Fly API attempt. */
  flyCall(call: { route: string; outcome: string; failed: boolean; seconds: number }): void {
    const labels = { route: call.route, status: call.outcome };
    this.flyCalls.inc(labels);
    if (call.failed) this.flyErrors.inc(labels);
    this.flySeconds.observe({ route: call.route }, call.seconds);
  }

  /**
   * Reads the scrape-time gauges (deployments per state in one GROUP BY, the reconciler backlog, memory) and
   * renders everything. A database failure leaves those gauges out and sets hangar_database_up to 0.
   */
  async scrape(deps: { pool: pg.Pool; clock: Clock }): Promise<string> {
    const usage = process.memoryUsage();
    for (const [kind, value] of [['rss', usage.rss], ['heap_used', usage.heapUsed], ['heap_total', usage.heapTotal], ['external', usage.external]] as const) {
      this.memory.set({ kind }, value);
    }
    this.deployments.reset();
    this.backlog.reset();
    try {
      const rows = await deps.pool.query<{ state: string; n: number }>('SELECT state::text AS state, count(*)::int AS n FROM deployments GROUP BY state');
      const backlog = await countBacklog(deps.pool, deps.clock.now());
      const byState = new Map(rows.rows.map((row) => [row.state, row.n]));
      for (const state of DEPLOYMENT_STATES) this.deployments.set({ state }, byState.get(state) ?? 0);
      this.backlog.set({}, backlog);
      this.databaseUp.set({}, 1);
    } catch {
      this.deployments.reset();
      this.databaseUp.set({}, 0);
    }
    return this.registry.render();
  }
}
