import { percentile } from '../lib/mcp-timing.ts';

/** What the load run measured for one kind of operation. */
export interface OperationStats {
  op: string;
  count: number;
  /** Answers that count as failures: 5xx, network errors, and statuses the operation never expects. */
  errors: number;
  /** Expected refusals (e.g. 409 for a start racing a delete), by status. */
  refusals: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Latencies and outcomes per operation kind, recorded as the workers go. */
export class LoadRecorder {
  private readonly latencies = new Map<string, number[]>();
  private readonly errors = new Map<string, number>();
  private readonly refusals = new Map<string, Record<string, number>>();
  /** A few examples of failures (status and body start), to say what went wrong. */
  readonly examples: string[] = [];

  /** Records one answer: `ok` for the expected success, `refused` for an expected 4xx, otherwise an error. */
  record(op: string, ms: number, outcome: 'ok' | 'refused' | 'error', status: number, detail = ''): void {
    const list = this.latencies.get(op) ?? [];
    list.push(ms);
    this.latencies.set(op, list);
    if (outcome === 'refused') {
      const r = this.refusals.get(op) ?? {};
      r[status] = (r[status] ?? 0) + 1;
      this.refusals.set(op, r);
    }
    if (outcome === 'error') {
      this.errors.set(op, (this.errors.get(op) ?? 0) + 1);
      if (this.examples.length < 10) this.examples.push(`${op} ${status} ${detail.slice(0, 200)}`);
    }
  }

  /** Requests recorded so far. */
  total(): number {
    let n = 0;
    for (const list of this.latencies.values()) n += list.length;
    return n;
  }

  /** Per-operation statistics, busiest first. */
  summary(): OperationStats[] {
    return [...this.latencies.entries()]
      .map(([op, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        return {
          op,
          count: sorted.length,
          errors: this.errors.get(op) ?? 0,
          refusals: this.refusals.get(op) ?? {},
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          maxMs: sorted.at(-1) ?? Number.NaN,
        };
      })
      .sort((a, b) => b.count - a.count);
  }
}

/** The per-operation table in Markdown, ready to paste into bench/README.md. */
export function markdownTable(stats: OperationStats[], seconds: number): string {
  const rows = stats.map((s) => {
    const refused = Object.entries(s.refusals).map(([status, n]) => `${n}×${status}`).join(', ') || '-';
    return `| ${s.op} | ${s.count} | ${(s.count / seconds).toFixed(1)} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.maxMs.toFixed(1)} | ${s.errors} | ${refused} |`;
  });
  return ['| operation | requests | req/s | p50 ms | p99 ms | max ms | errors | expected 4xx |', '|---|---:|---:|---:|---:|---:|---:|---|', ...rows].join('\n');
}
