import type { App } from '../../http/context.ts';
import type { TemplateDeployer } from '../service.ts';
import { registerCreateDeployment } from './create.ts';
import { registerDeploymentEvents } from './events.ts';
import { registerDeploymentLogs } from './logs.ts';
import { registerGetDeployment } from './get.ts';
import { registerLifecycleRoutes } from './lifecycle.ts';
import { registerListDeployments } from './list.ts';
import { registerUpdateDeployment } from './update.ts';

/** Every deployment route; `deps.deployTemplate` is the catalog's template deployer (injected: no import cycle). */
export function registerDeploymentRoutes(app: App, deps: { deployTemplate: TemplateDeployer }): void {
  registerCreateDeployment(app, deps.deployTemplate);
  registerListDeployments(app);
  registerGetDeployment(app);
  registerUpdateDeployment(app);
  registerLifecycleRoutes(app);
  registerDeploymentEvents(app);
  registerDeploymentLogs(app);
}
