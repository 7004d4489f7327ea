import type { App } from '../../http/context.ts';
import { registerCreateDeployment } from './create.ts';
import { registerDeploymentEvents } from './events.ts';
import { registerDeploymentLogs } from './logs.ts';
import { registerGetDeployment } from './get.ts';
import { registerLifecycleRoutes } from './lifecycle.ts';
import { registerListDeployments } from './list.ts';
import { registerUpdateDeployment } from './update.ts';

/** Every deployment route. */
export function registerDeploymentRoutes(app: App): void {
  registerCreateDeployment(app);
  registerListDeployments(app);
  registerGetDeployment(app);
  registerUpdateDeployment(app);
  registerLifecycleRoutes(app);
  registerDeploymentEvents(app);
  registerDeploymentLogs(app);
}
