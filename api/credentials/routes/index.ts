import type { App } from '../../http/context.ts';
import { registerCreateCredential } from './create.ts';
import { registerDeleteCredential } from './delete.ts';
import { registerListCredentials } from './list.ts';
import { registerReplaceCredential } from './replace.ts';

/** Every credential route, team tier and user tier. */
export function registerCredentialRoutes(app: App): void {
  registerListCredentials(app);
  registerCreateCredential(app);
  registerReplaceCredential(app);
  registerDeleteCredential(app);
}
