import type { Prisma } from '../db/generated/client.ts';
import type { Db } from '../db/pool.ts';
import type { DeploymentState } from './states.ts';

type Tx = Prisma.TransactionClient | Db;

export type DeploymentEventType =
  | 'created'
  | 'state_changed'
  | 'desired_changed'
  | 'machine_created'
  | 'machine_updated'
  | 'machine_destroyed'
  | 'restarted'
  | 'health_changed'
  | 'exited'
  | 'driver_error';

/** What an event's `data` may hold: flat facts, plus string lists (an exit's `lastLines`). */
export type EventData = Record<string, string | number | boolean | null | string[]>;

/** Appends one event to a deployment's history. Reasons are for people; never put a secret in `data`. */
export async function recordEvent(
  tx: Tx,
  event: {
    deploymentId: string;
    type: DeploymentEventType;
    reason: string;
    fromState?: DeploymentState;
    toState?: DeploymentState;
    data?: EventData;
    at: Date;
  },
): Promise<void> {
  await tx.deploymentEvent.create({
    data: {
      deploymentId: event.deploymentId,
      type: event.type,
      reason: event.reason,
      fromState: event.fromState ?? null,
      toState: event.toState ?? null,
      data: event.data ?? {},
      createdAt: event.at,
    },
  });
}
