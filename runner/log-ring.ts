import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskKnown, maskText } from '../api/platform/mask.ts';
import { writeJson } from './http-body.ts';

/** One stderr line the runner kept: a sequence number (for "after" reads), its time and the masked text. */
export interface RingLine {
  seq: number;
  time: string;
  line: string;
}

/** Longest line kept (characters); longer lines are cut and end with `…`. */
export const LOG_LINE_MAX = 2000;
/** Lines kept per runner (the oldest are dropped first). */
export const LOG_RING_SIZE = 1000;

/**
 * A bounded ring of the MCP server's stderr lines, masked before they are stored (the runner's secret
 * values, then the free-text rules), so no read can return a secret. Memory is bounded by
 * `size` x `LOG_LINE_MAX` characters.
 */
export class LogRing {
  private readonly lines: RingLine[] = [];
  private next = 1;
  /** Changes with every runner start, so a reader polling with `after` knows the sequence began again. */
  readonly boot = randomUUID();

  constructor(
    private readonly secrets: ReadonlySet<string>,
    private readonly size = LOG_RING_SIZE,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Stores one line (masked, capped in length). */
  push(raw: string): void {
    const capped = raw.length > LOG_LINE_MAX ? `${raw.slice(0, LOG_LINE_MAX)}…` : raw;
    this.lines.push({ seq: this.next++, time: this.now().toISOString(), line: maskKnown(maskText(capped), this.secrets) });
    if (this.lines.length > this.size) this.lines.splice(0, this.lines.length - this.size);
  }

  /** The last `n` lines, oldest first; with `after`, only lines newer than that sequence number. */
  read(n: number, after = 0): RingLine[] {
    const newer = after > 0 ? this.lines.filter((l) => l.seq > after) : this.lines;
    return newer.slice(-Math.max(0, n));
  }
}

/**
 * `GET /logs?tail=N&after=SEQ` (the caller checked the runner token): `{ boot, lines: [{ seq, time, line }] }`,
 * oldest first, at most 1000. Hangar follows a deployment's logs by polling with `after` = the last seq seen.
 */
export function serveLogs(req: IncomingMessage, res: ServerResponse, ring: LogRing): void {
  if (req.method !== 'GET') return writeJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
  const query = new URL(req.url ?? '/', 'http://runner').searchParams;
  const tail = Number(query.get('tail') ?? '100');
  const after = Number(query.get('after') ?? '0');
  if (!Number.isInteger(tail) || tail < 0 || tail > LOG_RING_SIZE || !Number.isInteger(after) || after < 0) {
    return writeJson(res, 400, { error: 'bad_query' });
  }
  writeJson(res, 200, { boot: ring.boot, lines: ring.read(tail, after) }, { 'cache-control': 'no-store' });
}
