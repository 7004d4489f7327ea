import type { Deployment } from '../../db/generated/client.ts';
import type { Services } from '../../services.ts';
import { linesOfEvent, mergeLines, type LogLine } from './log-lines.ts';
import { readRunnerLines } from './runner-lines.ts';

/** Where a reader is: the last event id and runner line it has seen, so a follower only gets new lines. */
export interface LogCursor {
  eventId: bigint;
  boot: string | undefined;
  seq: number;
}

/**
 * The last `tail` lines of a deployment, oldest first: the runner's stderr ring (when a runner answers)
 * merged with Hangar's system lines from the deployment's events (kept as long as its events are).
 */
export async function readLogs(services: Services, dep: Deployment, tail: number, signal?: AbortSignal): Promise<{ lines: LogLine[]; cursor: LogCursor }> {
  const [events, runner] = await Promise.all([
    services.db.deploymentEvent.findMany({ where: { deploymentId: dep.id }, orderBy: { id: 'desc' }, take: tail }),
    readRunnerLines(services, dep, { tail }, signal),
  ]);
  const system = events.reverse().flatMap((e) => linesOfEvent(e, services.secrets));
  return {
    lines: mergeLines(system, runner?.lines ?? [], tail),
    cursor: { eventId: events.at(-1)?.id ?? 0n, boot: runner?.boot, seq: runner?.lastSeq ?? 0 },
  };
}

/**
 * The lines that appeared since `cursor` (advanced in place), or undefined when the deployment is gone.
 * A runner that started again (another `boot`) is read from its first line.
 */
export async function readNewLines(services: Services, deploymentId: string, cursor: LogCursor, signal?: AbortSignal): Promise<LogLine[] | undefined> {
  const dep = await services.db.deployment.findUnique({ where: { id: deploymentId } });
  if (!dep || dep.desiredState === 'deleted') return undefined;
  const events = await services.db.deploymentEvent.findMany({ where: { deploymentId, id: { gt: cursor.eventId } }, orderBy: { id: 'asc' }, take: 1000 });
  if (events.length > 0) cursor.eventId = events.at(-1)!.id;
  const probe = await readRunnerLines(services, dep, { tail: 1000, after: cursor.seq }, signal);
  let runnerLines = probe?.lines ?? [];
  if (probe && probe.boot !== cursor.boot) {
    // A new runner: its sequence began again, so read it from the start.
    const fresh = cursor.seq > 0 ? await readRunnerLines(services, dep, { tail: 1000 }, signal) : probe;
    runnerLines = fresh?.lines ?? [];
    cursor.boot = probe.boot;
    cursor.seq = fresh?.lastSeq ?? 0;
  } else if (probe) cursor.seq = probe.lastSeq;
  const system = events.flatMap((e) => linesOfEvent(e, services.secrets));
  return mergeLines(system, runnerLines, 2000);
}
