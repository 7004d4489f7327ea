import type { Deployment, Template } from '../db/generated/client.ts';
import { recordEvent } from '../deployments/events.ts';
import { StoredLaunchSpecSchema } from '../deployments/launch.ts';
import type { Services } from '../services.ts';
import { templateLaunchSpec } from './deploy.ts';
import { resolveTemplateConfig, type TemplateConfig } from './resolve.ts';

/** Which deployments of a template a value change can reach: one team's, one user's, or all. */
export type AffectedScope = { teamId: string } | { createdById: string } | 'all';

/** The merge fingerprint of every affected deployment before a change, to compare with after. */
export type Snapshot = Map<string, string>;

async function affected(services: Services, template: Template, scope: AffectedScope): Promise<Deployment[]> {
  return services.db.deployment.findMany({
    where: { templateSlug: template.slug, desiredState: { not: 'deleted' }, ...(scope === 'all' ? {} : scope) },
    orderBy: { createdAt: 'asc' },
  });
}

async function configOf(services: Services, template: Template, dep: Deployment): Promise<TemplateConfig> {
  const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
  return resolveTemplateConfig(services.db, template, { teamId: dep.teamId, userId: dep.createdById, deploymentId: dep.id, deploymentValues: spec.template?.values ?? {} });
}

/** Fingerprints the affected deployments' merged values; take it before writing values. */
export async function snapshotDeployments(services: Services, template: Template, scope: AffectedScope): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  for (const dep of await affected(services, template, scope)) snapshot.set(dep.id, (await configOf(services, template, dep)).fingerprint);
  return snapshot;
}

/**
 * After values changed: a deployment in `awaiting_config` with nothing missing any more is due at once (the
 * reconciler, which alone writes observed state, launches it); one still waiting gets its new missing list; a launched one whose merged
 * values changed gets the new spec and a new generation, so the reconciler rolls its machine (a running one
 * that lost a required value keeps its machine as is and records what is missing). Answers how many moved.
 */
export async function applyValueChange(services: Services, template: Template, scope: AffectedScope, before: Snapshot): Promise<{ started: number; rolled: number }> {
  let started = 0;
  let rolled = 0;
  const now = services.clock.now();
  for (const dep of await affected(services, template, scope)) {
    const config = await configOf(services, template, dep);
    const spec = StoredLaunchSpecSchema.parse(dep.launchSpec);
    const launchSpec = templateLaunchSpec(spec.args, config, spec.template ?? { slug: template.slug, values: {} });
    // Not guarded by `version` (the intent version, bumped only by intent writes like this one, so a move in
    // flight re-decides): each write here is recomputed from the current merge, and generation increments are atomic.
    const where = { id: dep.id };
    if (dep.state === 'awaiting_config') {
      const ready = config.missing.length === 0;
      const count = await services.db.$transaction(async (tx) => {
        const { count } = await tx.deployment.updateMany({
          where: { ...where, state: 'awaiting_config' },
          data: ready
            ? { launchSpec, missingFields: [], nextReconcileAt: now, version: { increment: 1 } }
            : { launchSpec, missingFields: config.missing, version: { increment: 1 } },
        });
        if (count === 1 && ready) await recordEvent(tx, { deploymentId: dep.id, type: 'desired_changed', reason: 'configuration complete', at: now });
        return count;
      });
      if (count === 1 && ready) started += 1;
      continue;
    }
    if (config.missing.length > 0) {
      await services.db.deployment.updateMany({ where, data: { missingFields: config.missing, version: { increment: 1 } } });
      continue;
    }
    if (before.get(dep.id) === config.fingerprint && dep.missingFields.length === 0) continue;
    const count = await services.db.$transaction(async (tx) => {
      const { count } = await tx.deployment.updateMany({ where, data: { launchSpec, missingFields: [], generation: { increment: 1 }, version: { increment: 1 }, nextReconcileAt: now } });
      if (count === 1) await recordEvent(tx, { deploymentId: dep.id, type: 'desired_changed', reason: `template values changed (generation ${dep.generation + 1})`, at: now });
      return count;
    });
    rolled += count;
  }
  if (started + rolled > 0) services.reconciler.nudge();
  return { started, rolled };
}
