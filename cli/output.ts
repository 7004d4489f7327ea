import type { Readable, Writable } from 'node:stream';

/** What the CLI talks to: streams and environment, passed in so tests and the launcher choose. */
export interface Io {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: Record<string, string | undefined>;
}

type Paint = (text: string) => string;

/** Presentation helpers bound to one Io: colours only on a TTY and never with NO_COLOR. */
export interface Output {
  colour: boolean;
  bold: Paint;
  dim: Paint;
  green: Paint;
  red: Paint;
  yellow: Paint;
  cyan: Paint;
  line(text?: string): void;
  warn(text: string): void;
  json(value: unknown): void;
  table(rows: ReadonlyArray<object>, columns: ReadonlyArray<{ key: string; title: string }>): void;
}

const ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The visible width of a string (colour codes excluded). */
export function visibleLength(text: string): number {
  return text.replace(ESCAPE, '').length;
}

/** Whether colour may be used on `stream` given the environment (NO_COLOR wins, then TTY, TERM=dumb off). */
export function colourEnabled(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Renders a cell: null/undefined as a dash, arrays joined, everything else as text without line breaks. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.map(cellText).join(',') : '-';
  return String(value).replace(/[\r\n\t]+/g, ' ');
}

/** A plain-text table with a header row, columns padded to their widest cell. */
export function formatTable(rows: ReadonlyArray<object>, columns: ReadonlyArray<{ key: string; title: string }>, header: Paint = (t) => t): string {
  const cells = rows.map((row) => columns.map((c) => cellText((row as Record<string, unknown>)[c.key])));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const pad = (text: string, i: number) => text + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(text)));
  const lines = [header(columns.map((c, i) => pad(c.title, i)).join('  ').trimEnd())];
  for (const r of cells) lines.push(r.map((text, i) => pad(text, i)).join('  ').trimEnd());
  return lines.join('\n');
}

/** Builds the Output for an Io. */
export function createOutput(io: Io): Output {
  const colour = colourEnabled(io.stdout, io.env);
  const wrap = (open: number, close: number): Paint => (text) => (colour ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  const errColour = colourEnabled(io.stderr, io.env);
  return {
    colour,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    line: (text = '') => void io.stdout.write(`${text}\n`),
    warn: (text) => void io.stderr.write(`${errColour ? `\x1b[33m${text}\x1b[39m` : text}\n`),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    table(rows, columns) {
      if (rows.length === 0) {
        io.stdout.write('(none)\n');
        return;
      }
      io.stdout.write(`${formatTable(rows, columns, wrap(1, 22))}\n`);
    },
  };
}
