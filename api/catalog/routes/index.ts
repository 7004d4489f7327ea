import type { App } from '../../http/context.ts';
import { registerTemplateReads } from './templates-read.ts';
import { registerTemplateValues } from './values.ts';
import { registerTemplateWrites } from './templates-write.ts';

/** Every catalog route: templates (read by all, written by global admins) and team and user values. */
export function registerCatalogRoutes(app: App): void {
  registerTemplateReads(app);
  registerTemplateWrites(app);
  registerTemplateValues(app);
}
