import { numberOption, stringOption, type Command, type CommandContext } from '../command.ts';
import { resolveDeployment, TEAM_OPTION } from '../deployment.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import type { Output } from '../output.ts';

/** One line of `GET /v1/deployments/{id}/logs` (api/deployments/logs/log-lines.ts). */
export interface LogLine {
  time: string;
  stream: 'stderr' | 'system';
  line: string;
}

/** One row of `GET /v1/deployments/{id}/calls` (api/mcp/list-calls.ts). */
interface CallRow {
  time: string;
  method: string;
  tool: string | null;
  durationMs: number;
  outcome: 'ok' | 'error';
  errorCode: number | null;
  keyId: string | null;
}

/** A log line for people: time, a marker for Hangar's own lines, the text. */
export function formatLogLine(out: Output, l: LogLine): string {
  return `${out.dim(l.time)} ${l.stream === 'system' ? out.dim('[hangar] ') : ''}${l.line}`;
}

/** The last `tail` lines of a deployment (stderr and system), oldest first. */
export async function readLogLines(ctx: CommandContext, id: string, tail: number): Promise<LogLine[]> {
  const page = await ctx.api().get<{ data: LogLine[] }>(`/v1/deployments/${encodeURIComponent(id)}/logs`, { tail });
  return page.data;
}

/** Prints the SSE `log` events of a follow stream until it ends or Ctrl-C. */
async function followLogs(ctx: CommandContext, id: string, tail: number, json: boolean): Promise<void> {
  const { url, apiKey } = ctx.config;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    const res = await fetch(`${url}/v1/deployments/${encodeURIComponent(id)}/logs?tail=${tail}`, {
      headers: { accept: 'text/event-stream', authorization: `Bearer ${apiKey ?? ''}` },
      signal: controller.signal,
    }).catch(() => {
      throw new CliError(`Cannot reach Hangar at ${url}`, EXIT.error);
    });
    if (!res.ok || !res.body) throw new CliError(`Following logs failed (HTTP ${res.status})`, res.status === 404 ? EXIT.notFound : EXIT.error);
    const decoder = new TextDecoder();
    let pending = '';
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '))?.slice(6);
        if (!event.includes('event: log') || data === undefined) continue;
        const line = JSON.parse(data) as LogLine;
        ctx.io.stdout.write(json ? `${data}\n` : `${formatLogLine(ctx.out, line)}\n`);
      }
    }
  } finally {
    process.off('SIGINT', stop);
  }
}

export const logCommands: Command[] = [
  {
    path: ['logs'],
    summary: "A deployment's server stderr and Hangar's own lines (launch, exit, restart, health)",
    usage: 'hangar logs <name|id> [--tail N] [-f] [--team <team>] [--json]',
    read: true,
    positionals: { min: 1, max: 1 },
    options: {
      ...TEAM_OPTION,
      tail: { type: 'string', value: 'N', description: 'Lines from the end (default 100, max 1000)' },
      follow: { type: 'boolean', short: 'f', description: 'Keep printing new lines until Ctrl-C' },
    },
    examples: ['hangar logs github-tools', 'hangar logs github-tools --tail 20 -f', 'hangar logs dep_0123456789abcdef --json'],
    async run(ctx, { values, positionals }) {
      const tail = numberOption(values, 'tail', 100);
      if (!Number.isInteger(tail) || tail < 1 || tail > 1000) throw new UsageError('--tail takes a whole number from 1 to 1000');
      const dep = await resolveDeployment(ctx, positionals[0] ?? '', stringOption(values, 'team'));
      if (values.follow) return followLogs(ctx, dep.id, tail, values.json === true);
      const lines = await readLogLines(ctx, dep.id, tail);
      if (values.json) return void ctx.out.json(lines);
      for (const l of lines) ctx.out.line(formatLogLine(ctx.out, l));
    },
  },
  {
    path: ['calls'],
    summary: 'The MCP call log of a deployment: method, tool, outcome, duration, newest first',
    usage: 'hangar calls <name|id> [--limit N] [--team <team>] [--json]',
    read: true,
    positionals: { min: 1, max: 1 },
    options: { ...TEAM_OPTION, limit: { type: 'string', value: 'N', description: 'Rows to show (default 50, max 200)' } },
    examples: ['hangar calls github-tools', 'hangar calls github-tools --json'],
    async run(ctx, { values, positionals }) {
      const limit = numberOption(values, 'limit', 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new UsageError('--limit takes a whole number from 1 to 200');
      const dep = await resolveDeployment(ctx, positionals[0] ?? '', stringOption(values, 'team'));
      const page = await ctx.api().get<{ data: CallRow[]; nextCursor: string | null }>(`/v1/deployments/${encodeURIComponent(dep.id)}/calls`, { limit });
      if (values.json) return void ctx.out.json(page.data);
      const out = ctx.out;
      if (page.data.length === 0) return void out.line(out.dim('No calls yet.'));
      for (const c of page.data) {
        const outcome = c.outcome === 'ok' ? out.green('ok') : `error${c.errorCode === null ? '' : ` ${c.errorCode}`}`;
        out.line(`${out.dim(c.time)}  ${c.method}${c.tool ? ` ${out.bold(c.tool)}` : ''}  ${outcome}  ${c.durationMs} ms`);
      }
    },
  },
];
