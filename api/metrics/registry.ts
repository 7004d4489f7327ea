/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition
 * format (version 0.0.4). Hand-written so the API needs no extra dependency; each instance is independent
 * (built by the composition root and passed in), so tests and several Hangars in one process never share state.
 */

export type Labels = Readonly<Record<string, string>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default latency buckets, in seconds: from 5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** A metric or label name the exposition format forbids, or labels that do not match the declaration. */
export class MetricDefinitionError extends Error {
  readonly code = 'metric_definition_invalid';
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format spells it (`+Inf`, `-Inf`, `NaN`, or a decimal). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function renderLabels(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

abstract class Metric<T> {
  protected readonly series = new Map<string, { values: string[]; data: T }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new MetricDefinitionError(`invalid metric name ${name}`);
    for (const label of labelNames) {
      if (!LABEL.test(label) || label.startsWith('__') || label === 'le') throw new MetricDefinitionError(`invalid label name ${label} on ${name}`);
    }
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected abstract fresh(): T;
  protected abstract lines(labelValues: readonly string[], data: T): string[];

  protected entry(labels: Labels): T {
    const values = this.labelNames.map((name) => labels[name] ?? '');
    if (Object.keys(labels).some((key) => !this.labelNames.includes(key))) {
      throw new MetricDefinitionError(`${this.name} takes labels ${this.labelNames.join(', ') || '(none)'}`);
    }
    const key = values.join('\u0000');
    let found = this.series.get(key);
    if (!found) {
      found = { values, data: this.fresh() };
      this.series.set(key, found);
    }
    return found.data;
  }

  /** Forgets every series (scrape-time gauges are rebuilt on each scrape). */
  reset(): void {
    this.series.clear();
  }

  /** The `# HELP`, `# TYPE` and sample lines of this metric. */
  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, data } of this.series.values()) out.push(...this.lines(values, data));
    return out.join('\n');
  }
}

/** A value that only goes up (requests served, calls made). */
export class Counter extends Metric<{ value: number }> {
  readonly type = 'counter';

  protected fresh() {
    return { value: 0 };
  }

  /** Adds `by` (default 1, never negative) to the series named by `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new MetricDefinitionError(`${this.name}: a counter cannot go down`);
    this.entry(labels).value += by;
  }

  /** The current value of one series (0 when never incremented). */
  get(labels: Labels = {}): number {
    return this.entry(labels).value;
  }

  protected lines(values: readonly string[], data: { value: number }): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(data.value)}`];
  }
}

/** A value that goes up and down (in-flight requests, backlog, deployments per state). */
export class Gauge extends Metric<{ value: number }> {
  readonly type = 'gauge';

  protected fresh() {
    return { value: 0 };
  }

  /** Sets the series named by `labels`. */
  set(labels: Labels, value: number): void {
    this.entry(labels).value = value;
  }

  /** Adds `by` (may be negative). */
  add(labels: Labels, by: number): void {
    this.entry(labels).value += by;
  }

  protected lines(values: readonly string[], data: { value: number }): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatValue(data.value)}`];
  }
}

interface HistogramData {
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets (`_bucket{le=...}`, `_sum`, `_count`), e.g. latencies. */
export class Histogram extends Metric<HistogramData> {
  readonly type = 'histogram';
  private readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = LATENCY_BUCKETS) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((b, i) => !Number.isFinite(b) || b === sorted[i - 1])) {
      throw new MetricDefinitionError(`${name}: buckets must be distinct finite numbers`);
    }
    this.buckets = sorted;
  }

  protected fresh(): HistogramData {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
  }

  /** Records one observation (seconds, for latencies). */
  observe(labels: Labels, value: number): void {
    const data = this.entry(labels);
    for (let i = 0; i < this.buckets.length; i += 1) if (value <= (this.buckets[i] as number)) data.counts[i] = (data.counts[i] ?? 0) + 1;
    data.sum += value;
    data.count += 1;
  }

  protected lines(values: readonly string[], data: HistogramData): string[] {
    const out = this.buckets.map(
      (bound, i) => `${this.name}_bucket${renderLabels(this.labelNames, values, ['le', formatValue(bound)])} ${data.counts[i] ?? 0}`,
    );
    out.push(`${this.name}_bucket${renderLabels(this.labelNames, values, ['le', '+Inf'])} ${data.count}`);
    out.push(`${this.name}_sum${renderLabels(this.labelNames, values)} ${formatValue(data.sum)}`);
    out.push(`${this.name}_count${renderLabels(this.labelNames, values)} ${data.count}`);
    return out;
  }
}

/** The metrics of one Hangar process; `render()` is the body of `GET /metrics`. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric<unknown>>();

  private add<M extends Metric<unknown>>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new MetricDefinitionError(`metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  /** Declares a counter. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  /** Declares a gauge. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  /** Declares a histogram with `buckets` (default LATENCY_BUCKETS). */
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** Every metric in the text exposition format, ending with a newline. */
  render(): string {
    return `${[...this.metrics.values()].map((m) => m.render()).join('\n')}\n`;
  }
}

/** The Content-Type of `render()`'s output. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
