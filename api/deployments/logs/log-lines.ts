import { z } from '@hono/zod-openapi';
import type { DeploymentEvent } from '../../db/generated/client.ts';
import { maskKnown, maskText } from '../../platform/mask.ts';

export const LogLineSchema = z
  .object({
    time: z.string().openapi({ description: 'ISO-8601', example: '2026-12-04T18:03:00.000Z' }),
    stream: z.enum(['stderr', 'system']).openapi({ description: "`stderr`: the MCP server's own output; `system`: Hangar's (launch, exit, restart, health)" }),
    line: z.string().openapi({ example: 'exit: machine exited with code 1' }),
  })
  .openapi('LogLine');

export type LogLine = z.infer<typeof LogLineSchema>;

/** Longest line served (characters), whatever its source. */
export const LINE_MAX = 2000;

/** Masks every known secret value and the free-text secret patterns, then caps the length. */
export function maskLine(line: string, secrets: ReadonlySet<string>): string {
  const masked = maskKnown(maskText(line), secrets);
  return masked.length > LINE_MAX ? `${masked.slice(0, LINE_MAX)}…` : masked;
}

function systemText(event: DeploymentEvent): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'created':
      return `created: ${event.reason}`;
    case 'machine_created':
      return `launch: ${event.reason}`;
    case 'machine_updated':
      return `launch: machine replaced (${event.reason})`;
    case 'restarted':
      return `restart: ${event.reason}`;
    case 'health_changed':
      return `health: ${event.reason}`;
    case 'exited':
      return `exit: ${event.reason} with code ${typeof data.exitCode === 'number' ? data.exitCode : 'unknown'}`;
    case 'state_changed':
      return `state: ${event.fromState ?? '?'} -> ${event.toState ?? '?'} (${event.reason})`;
    default:
      return `${event.type.replace(/_/g, ' ')}: ${event.reason}`;
  }
}

/**
 * Hangar's own lines for a deployment, from its events: one `system` line each, and for an exit first the
 * server's last stderr lines it carried (the runner that printed them is gone by then). Masked.
 */
export function linesOfEvent(event: DeploymentEvent, secrets: ReadonlySet<string>): LogLine[] {
  const time = event.createdAt.toISOString();
  const data = (event.data ?? {}) as Record<string, unknown>;
  const out: LogLine[] = [];
  if (event.type === 'exited' && Array.isArray(data.lastLines)) {
    for (const line of data.lastLines) if (typeof line === 'string') out.push({ time, stream: 'stderr', line: maskLine(line, secrets) });
  }
  out.push({ time, stream: 'system', line: maskLine(systemText(event), secrets) });
  return out;
}

/** Merges lines by time (stable: equal times keep their source order) and keeps the last `tail`. */
export function mergeLines(a: LogLine[], b: LogLine[], tail: number): LogLine[] {
  const merged: LogLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]!.time <= b[j]!.time)) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return merged.slice(-tail);
}
