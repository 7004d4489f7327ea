import { Prisma, type Template } from '../db/generated/client.ts';
import { ValidationError } from '../http/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Services } from '../services.ts';
import { storedFields } from './fields.ts';
import { applyValueChange, snapshotDeployments, type AffectedScope } from './refresh.ts';
import type { TemplateValuesView } from './schemas.ts';
import type { Actor } from './templates.ts';
import { parseValues } from './validate-values.ts';

/** Whose values: a team's (set by its admins) or a user's own (apply to every deployment they make). */
export type ValueOwner = { scope: 'team'; teamId: string } | { scope: 'user'; userId: string };

const MASK = '*****';

function ownerId(owner: ValueOwner): string {
  return owner.scope === 'team' ? owner.teamId : owner.userId;
}

function affectedBy(owner: ValueOwner): AffectedScope {
  return owner.scope === 'team' ? { teamId: owner.teamId } : { createdById: owner.userId };
}

/** One tier's values of a template, field by field in template order; secrets always `*****`. */
export async function readValues(services: Services, template: Template, owner: ValueOwner): Promise<TemplateValuesView> {
  const rows = await services.db.templateValue.findMany({ where: { templateId: template.id, scope: owner.scope, ownerId: ownerId(owner) } });
  const byField = new Map(rows.map((r) => [r.field, r]));
  return {
    template: template.slug,
    scope: owner.scope,
    fields: storedFields(template.fields).map((field) => {
      const row = byField.get(field.name);
      const plain = row && !row.ciphertext && (typeof row.value === 'string' || typeof row.value === 'number' || typeof row.value === 'boolean') ? row.value : null;
      return {
        name: field.name,
        type: field.type,
        tier: field.tier,
        required: field.required,
        description: field.description,
        default: field.default ?? null,
        set: row !== undefined,
        value: row === undefined ? null : row.ciphertext ? MASK : plain,
        locked: row?.locked ?? false,
        updatedAt: row?.updatedAt.toISOString() ?? null,
      };
    }),
  };
}

/**
 * Sets (or with null clears) values at one tier; fields not named keep their values. Secrets go through
 * the vault. At the team tier `locked` locks or unlocks fields (a lock needs a team value). Deployments the
 * change reaches are merged again: waiting ones start once complete, launched ones roll.
 */
export async function putValues(
  services: Services,
  actor: Actor,
  template: Template,
  owner: ValueOwner,
  input: { values: Record<string, unknown>; locked?: Record<string, boolean> },
): Promise<TemplateValuesView> {
  const fields = storedFields(template.fields);
  const parsed = await parseValues(services.launchChecker, fields, input.values, { tier: owner.scope, path: 'values' });
  const locks = Object.entries(input.locked ?? {});
  const id = ownerId(owner);
  if (locks.length > 0) {
    const existing = new Set((await services.db.templateValue.findMany({ where: { templateId: template.id, scope: 'team', ownerId: id }, select: { field: true } })).map((r) => r.field));
    const issues = locks.flatMap(([name, lock]) => {
      const field = fields.find((f) => f.name === name);
      if (!field || field.tier === 'template') return [{ path: `locked.${name}`, message: 'not a team-settable field of this template' }];
      const willHave = parsed.has(name) ? parsed.get(name)!.value !== null : existing.has(name);
      return lock && !willHave ? [{ path: `locked.${name}`, message: 'set a team value before locking it' }] : [];
    });
    if (issues.length > 0) throw new ValidationError(`Invalid locks: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const before = await snapshotDeployments(services, template, affectedBy(owner));
  const now = services.clock.now();
  await services.db.$transaction(async (tx) => {
    for (const [field, { field: def, value }] of parsed) {
      const key = { templateId_ownerId_field: { templateId: template.id, ownerId: id, field } };
      if (value === null) {
        await tx.templateValue.deleteMany({ where: { templateId: template.id, ownerId: id, field } });
        continue;
      }
      const stored =
        def.type === 'secret'
          ? { value: Prisma.DbNull, ...services.vault.encrypt(String(value)) }
          : { value, ciphertext: null, keyId: null };
      await tx.templateValue.upsert({
        where: key,
        create: { id: newId('tv'), templateId: template.id, scope: owner.scope, ownerId: id, field, ...stored, updatedAt: now },
        update: { ...stored, updatedAt: now },
      });
    }
    for (const [field, lock] of locks) {
      await tx.templateValue.updateMany({ where: { templateId: template.id, scope: 'team', ownerId: id, field }, data: { locked: lock } });
    }
  });
  const moved = await applyValueChange(services, template, affectedBy(owner), before);
  await services.audit.record({
    ...actor,
    action: `template.values.${owner.scope}`,
    resourceType: 'template',
    resourceId: template.id,
    teamId: owner.scope === 'team' ? owner.teamId : null,
    data: { slug: template.slug, fields: [...parsed.keys()], locked: Object.fromEntries(locks), started: moved.started, rolled: moved.rolled },
  });
  return readValues(services, template, owner);
}
