import type { Deployment, Team } from '../db/generated/client.ts';
import type { StoredLaunchSpec } from '../deployments/launch.ts';
import type { CreateDeploymentInput } from '../deployments/schemas.ts';
import { recordDeployment, teamPolicy, type DeploymentContext } from '../deployments/service.ts';
import { PolicyError } from '../http/errors.ts';
import { replaceDeploymentSecrets } from '../deployments/inline-secrets.ts';
import { storedFields, type PlainValue } from './fields.ts';
import { resolveTemplateConfig, type TemplateConfig } from './resolve.ts';
import { parseValues } from './validate-values.ts';

/** The stored launch spec of a template deployment for a merged configuration. */
export function templateLaunchSpec(args: string[], config: TemplateConfig, template: { slug: string; values: Record<string, PlainValue> }): StoredLaunchSpec {
  return { args, env: config.env, secrets: Object.fromEntries(config.secretNames.map((name) => [name, { template: true as const }])), template };
}

/**
 * Deploys a catalog template: admits its package again (team policy), merges the template defaults, the
 * team's values, the caller's values and `values` given here, and stores the deployment. With required
 * fields unset it is accepted in `awaiting_config` and launched once they are set (api/catalog/refresh.ts).
 */
export async function createTemplateDeployment(ctx: DeploymentContext, team: Team, input: CreateDeploymentInput): Promise<Deployment> {
  const { services } = ctx;
  const slug = input.template ?? '';
  const template = await services.db.template.findUnique({ where: { slug } });
  if (!template) throw new PolicyError(`No template named ${slug}`, 'template_not_found', { issues: [{ path: 'template', message: 'not in the catalog' }] });
  if (template.retiredAt) throw new PolicyError(`The template ${slug} is retired`, 'template_retired', { issues: [{ path: 'template', message: 'retired' }] });
  const fields = storedFields(template.fields);
  const locks = await services.db.templateValue.findMany({ where: { templateId: template.id, scope: 'team', ownerId: team.id, locked: true }, select: { field: true } });
  const parsed = await parseValues(services.launchChecker, fields, input.values ?? {}, { tier: 'user', locked: new Set(locks.map((l) => l.field)), path: 'values' });

  const plain: Record<string, PlainValue> = {};
  const sealed: Record<string, { ciphertext: string; keyId: string }> = {};
  for (const [name, { field, value }] of parsed) {
    if (value === null) continue;
    if (field.type === 'secret') sealed[name] = services.vault.encrypt(String(value));
    else plain[name] = value;
  }
  const verdict = await services.admission.admitPackage(template.packageSpec, teamPolicy(team));
  const config = await resolveTemplateConfig(services.db, template, { teamId: team.id, userId: ctx.principal.userId, deploymentValues: plain, deploymentSecrets: sealed });
  await services.launchChecker.check({ pinned: verdict, args: template.args, env: config.env, secretNames: config.secretNames });
  const now = services.clock.now();
  return recordDeployment(ctx, team, {
    name: input.name,
    verdict,
    requestedSpec: template.packageSpec,
    launchSpec: templateLaunchSpec(template.args, config, { slug: template.slug, values: plain }),
    region: input.region,
    size: input.size,
    templateSlug: template.slug,
    missingFields: config.missing,
    within: (tx, deploymentId) => replaceDeploymentSecrets(tx, deploymentId, sealed, now),
  });
}
