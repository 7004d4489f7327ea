/**
 * A strict reader of the Prometheus text exposition format, for tests and benchmarks that read `GET /metrics`.
 * It rejects what a Prometheus server would: malformed lines, samples of undeclared families, bad escapes.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

/** A line the format does not allow; `line` is 1-based. */
export class ExpositionParseError extends Error {
  readonly code = 'exposition_invalid';

  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 1;
  while (i < text.length - 1) {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (!name || text[i + name.length] !== '=' || text[i + name.length + 1] !== '"') throw new ExpositionParseError(line, `bad label at ${i}`);
    i += name.length + 2;
    let value = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) throw new ExpositionParseError(line, 'unterminated label value');
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new ExpositionParseError(line, `bad escape \\${next ?? ''}`);
        i += 2;
      } else {
        value += ch;
        i += 1;
      }
    }
    if (name in labels) throw new ExpositionParseError(line, `label ${name} repeated`);
    labels[name] = value;
    i += 1;
    if (text[i] === ',') i += 1;
    else if (i !== text.length - 1) throw new ExpositionParseError(line, 'expected , or }');
  }
  return labels;
}

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new ExpositionParseError(line, `bad value ${text}`);
  return value;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    if (base && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return undefined;
}

/** Parses a whole exposition; throws ExpositionParseError on the first bad line. */
export function parseExposition(text: string): Exposition {
  const result: Exposition = { types: new Map(), help: new Map(), samples: [] };
  if (!text.endsWith('\n')) throw new ExpositionParseError(0, 'must end with a newline');
  text
    .slice(0, -1)
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      if (raw.startsWith('# HELP ')) {
        const [name, ...rest] = raw.slice(7).split(' ');
        if (!name) throw new ExpositionParseError(line, 'HELP without a name');
        result.help.set(name, rest.join(' '));
      } else if (raw.startsWith('# TYPE ')) {
        const [name, type, extra] = raw.slice(7).split(' ');
        if (!name || !type || extra !== undefined || !TYPES.has(type)) throw new ExpositionParseError(line, 'bad TYPE line');
        if (result.types.has(name)) throw new ExpositionParseError(line, `TYPE ${name} repeated`);
        result.types.set(name, type);
      } else if (raw.startsWith('#') || raw === '') {
        if (raw === '') throw new ExpositionParseError(line, 'empty line');
      } else {
        const match = SAMPLE.exec(raw);
        if (!match) throw new ExpositionParseError(line, 'not a sample line');
        const name = match[1] as string;
        if (!familyOf(name, result.types)) throw new ExpositionParseError(line, `sample ${name} has no TYPE`);
        result.samples.push({ name, labels: match[2] ? parseLabels(match[2], line) : {}, value: parseValue(match[3] as string, line) });
      }
    });
  return result;
}

/** The value of the one sample named `name` whose labels include `labels` (undefined when none matches). */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = exposition.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found?.value;
}
