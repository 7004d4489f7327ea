import { readFileSync } from 'node:fs';
import { z } from '@hono/zod-openapi';
import type { Db } from '../db/pool.ts';
import type { Clock } from '../platform/clock.ts';
import { newId } from '../platform/ids.ts';
import type { Logger } from '../platform/logger.ts';
import { checkFieldList } from './fields.ts';
import { CreateTemplateSchema, type CreateTemplateInput } from './schemas.ts';

/** The starter catalog shipped with Hangar (api/catalog/starter-catalog.json), parsed and checked. */
export function readStarterCatalog(): CreateTemplateInput[] {
  const raw: unknown = JSON.parse(readFileSync(new URL('./starter-catalog.json', import.meta.url), 'utf8'));
  const templates = z.array(CreateTemplateSchema).parse(raw);
  for (const template of templates) {
    const issues = checkFieldList(template.fields);
    if (issues.length > 0) throw new Error(`starter template ${template.slug}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
  return templates;
}

/**
 * Loads the starter catalog on first start: only when the templates table is empty, so an admin's edits
 * and retirements are never undone. Admission is not run here (a start must not need the registry);
 * every deployment admits its package again, and a test checks the whole list against the live registry.
 */
export async function loadStarterCatalog(deps: { db: Db; clock: Clock; logger: Logger }): Promise<number> {
  if ((await deps.db.template.count()) > 0) return 0;
  const now = deps.clock.now();
  const { count } = await deps.db.template.createMany({
    data: readStarterCatalog().map((t) => ({ id: newId('tpl'), slug: t.slug, name: t.name, description: t.description, packageSpec: t.package, args: t.args, fields: t.fields, createdAt: now, updatedAt: now })),
    skipDuplicates: true,
  });
  if (count > 0) deps.logger.info({ templates: count }, 'starter catalog loaded');
  return count;
}
