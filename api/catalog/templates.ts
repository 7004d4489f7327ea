import type { AuditEvent } from '../audit/audit-log.ts';
import type { Template } from '../db/generated/client.ts';
import { ConflictError, NotFoundError, ValidationError } from '../http/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import { checkFieldList, envText, storedFields, type TemplateField } from './fields.ts';
import { applyValueChange, snapshotDeployments } from './refresh.ts';
import type { CreateTemplateInput, UpdateTemplateInput } from './schemas.ts';

/** Who is acting, for the audit log. */
export type Actor = Pick<AuditEvent, 'actorUserId' | 'actorKeyId' | 'ip' | 'requestId'>;

/** A template by slug (retired ones too: their deployments still read it), or 404. */
export async function getTemplate(services: Services, slug: string): Promise<Template> {
  const row = await services.db.template.findUnique({ where: { slug } });
  if (!row) throw new NotFoundError('Template');
  return row;
}

/** One page of templates by slug; `after` is the last slug of the previous page. */
export async function listTemplates(services: Services, page: { limit: number; after?: string; includeRetired: boolean }): Promise<{ rows: Template[]; next: string | null }> {
  const rows = await services.db.template.findMany({
    where: { ...(page.includeRetired ? {} : { retiredAt: null }), ...(page.after !== undefined ? { slug: { gt: page.after } } : {}) },
    orderBy: { slug: 'asc' },
    take: page.limit + 1,
  });
  const shown = rows.slice(0, page.limit);
  return { rows: shown, next: rows.length > page.limit ? (shown.at(-1)?.slug ?? null) : null };
}

/**
 * The gates a template passes when saved: its field list rules, Admission of its package (default policy;
 * each team's policy applies again at deployment), and the launch-spec rules over its arguments and the
 * defaults as they would reach the machine.
 */
async function checkTemplate(services: Services, spec: { package: string; args: string[]; fields: TemplateField[] }): Promise<void> {
  const issues = checkFieldList(spec.fields);
  if (issues.length > 0) throw new ValidationError(`Invalid fields: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  const verdict = await services.admission.admitPackage(spec.package);
  const env = Object.fromEntries(spec.fields.flatMap((f) => (f.default !== undefined && f.type !== 'secret' ? [[f.name, envText(f.default)]] : [])));
  await services.launchChecker.check({ pinned: verdict, args: spec.args, env, secretNames: spec.fields.filter((f) => f.type === 'secret').map((f) => f.name) });
}

/** Adds a template to the catalog after it passes the save gates; 409 `template_exists` for a taken slug. */
export async function createTemplate(services: Services, actor: Actor, input: CreateTemplateInput): Promise<Template> {
  await checkTemplate(services, input);
  const now = services.clock.now();
  const id = newId('tpl');
  const { count } = await services.db.template.createMany({
    data: [{ id, slug: input.slug, name: input.name, description: input.description, packageSpec: input.package, args: input.args, fields: input.fields, createdAt: now, updatedAt: now }],
    skipDuplicates: true,
  });
  if (count === 0) throw new ConflictError(`A template named ${input.slug} already exists`, 'template_exists');
  await services.audit.record({ ...actor, action: 'template.create', resourceType: 'template', resourceId: id, data: { slug: input.slug, package: input.package } });
  return services.db.template.findUniqueOrThrow({ where: { id } });
}

/**
 * Changes a template (the slug is fixed). Its deployments' values are merged again: waiting ones start if
 * nothing is missing any more, launched ones whose merged values changed roll. Their pinned package stays
 * until they are redeployed.
 */
export async function updateTemplate(services: Services, actor: Actor, slug: string, input: UpdateTemplateInput): Promise<Template> {
  const current = await getTemplate(services, slug);
  const next = { package: input.package ?? current.packageSpec, args: input.args ?? current.args, fields: input.fields ?? storedFields(current.fields) };
  await checkTemplate(services, next);
  const before = await snapshotDeployments(services, current, 'all');
  const updated = await services.db.template.update({
    where: { id: current.id },
    data: { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.description !== undefined ? { description: input.description } : {}), packageSpec: next.package, args: next.args, fields: next.fields, updatedAt: services.clock.now() },
  });
  await applyValueChange(services, updated, 'all', before);
  await services.audit.record({ ...actor, action: 'template.update', resourceType: 'template', resourceId: current.id, data: { slug, fields: Object.keys(input) } });
  return updated;
}

/** Retires a template: it stays readable and its deployments keep running, but it accepts no new deployment. */
export async function retireTemplate(services: Services, actor: Actor, slug: string): Promise<void> {
  const current = await getTemplate(services, slug);
  if (current.retiredAt) return;
  await services.db.template.update({ where: { id: current.id }, data: { retiredAt: services.clock.now() } });
  await services.audit.record({ ...actor, action: 'template.retire', resourceType: 'template', resourceId: current.id, data: { slug } });
}
