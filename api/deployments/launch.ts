import { z } from 'zod';
import type { Deployment } from '../db/generated/client.ts';
import type { LaunchPlan } from '../machines/driver.ts';
import { PinnedPackage } from '../packages/pinned-package.ts';
import { machineNameFor, RUNNER_TOKEN_ENV } from '../machines/machine-config.ts';
import { SIZES, type Size } from './states.ts';

/** How a deployment's launch spec is stored (`deployments.launch_spec`): never a secret value. */
export const StoredLaunchSpecSchema = z.object({
  args: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  /**
   * Secret environment variables: a credential by name, an inline value kept as a deployment credential, or
   * a template secret field resolved from the template's values at launch (api/catalog/resolve.ts).
   */
  secrets: z.record(z.string(), z.union([z.object({ credential: z.string() }), z.object({ inline: z.literal(true) }), z.object({ template: z.literal(true) })])),
  /** Template deployments: the template's slug and the plain values given with this deployment (user tier). */
  template: z.object({ slug: z.string(), values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])) }).optional(),
});

export type StoredLaunchSpec = z.infer<typeof StoredLaunchSpecSchema>;

export { RUNNER_TOKEN_ENV };

/** Builds the driver's launch plan from a stored deployment. */
export function launchPlanFor(dep: Deployment, minSecretsVersion: number | undefined): LaunchPlan {
  const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
  const guest = SIZES[dep.size as Size] ?? SIZES['shared-cpu-1x'];
  return {
    deploymentId: dep.id,
    teamId: dep.teamId,
    generation: dep.generation,
    machineName: machineNameFor(dep.id),
    region: dep.region,
    runtime: dep.runtime,
    packageRef: PinnedPackage.ofDeployment(dep).ref(),
    args: spec.args,
    env: spec.env,
    secretNames: [...Object.keys(spec.secrets), RUNNER_TOKEN_ENV].sort(),
    guest: { ...guest },
    minSecretsVersion,
  };
}
