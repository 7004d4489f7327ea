import type { App } from '../http/context.ts';
import { registerPageAssets } from './kit.ts';

/** Every server-rendered page (and the stylesheet they share). */
export function registerPages(app: App): void {
  registerPageAssets(app);
}
