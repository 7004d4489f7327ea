import type { App } from '../http/context.ts';
import { registerAuthRoutes } from './routes-auth.ts';
import { registerKeyRoutes } from './routes-keys.ts';

/** Every route of accounts and access (auth, keys, me, teams, members, invitations, audit, admin). */
export function registerAccountRoutes(app: App): void {
  registerAuthRoutes(app);
  registerKeyRoutes(app);
}
