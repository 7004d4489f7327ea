import type { DeploymentState, DesiredState } from '../db/generated/enums.ts';

export type { DeploymentState, DesiredState };

export const DEPLOYMENT_STATES = [
  'awaiting_config',
  'pending',
  'provisioning',
  'starting',
  'running',
  'unhealthy',
  'restarting',
  'stopping',
  'stopped',
  'failed',
  'deleting',
  'deleted',
] as const satisfies readonly DeploymentState[];

/** States the proxy can forward to. */
export function isServing(state: DeploymentState): boolean {
  return state === 'running' || state === 'unhealthy';
}

/** Guest sizes a deployment may ask for, and what each means on Fly. */
export const SIZES = {
  'shared-cpu-1x': { cpuKind: 'shared', cpus: 1, memoryMb: 256 },
  'shared-cpu-2x': { cpuKind: 'shared', cpus: 2, memoryMb: 512 },
  'performance-1x': { cpuKind: 'performance', cpus: 1, memoryMb: 2048 },
} as const;

export type Size = keyof typeof SIZES;
