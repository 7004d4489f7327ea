import { FLY_RATE_RULES, type RateRule } from './rate-limiter.ts';

/** One Machines API endpoint the client calls, as the spec names it. */
export interface FlyRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** The spec's path template. */
  path: string;
  /**
   * Safe to repeat after a 5xx, a timeout or a lost connection: repeating cannot do the thing twice.
   * Every call may repeat after a 429 (the request was refused before Fly acted on it).
   */
  idempotent: boolean;
  /** What Fly rate-limits this call by. */
  scope: 'org' | 'app' | 'machine';
  rule: RateRule;
}

const { action, getMachine, deleteApp } = FLY_RATE_RULES;

/**
 * Every call the Fly client makes. App create is idempotent because it carries `idempotency_key`;
 * machine create, update, restart, lease acquire and IP assignment are not (a repeat could make a second
 * machine, restart twice or allocate a second address), so they are never repeated after a 5xx or timeout.
 */
export const FLY_ROUTES = {
  createApp: { method: 'POST', path: '/v1/apps', idempotent: true, scope: 'org', rule: action },
  getApp: { method: 'GET', path: '/v1/apps/{app_name}', idempotent: true, scope: 'app', rule: action },
  deleteApp: { method: 'DELETE', path: '/v1/apps/{app_name}', idempotent: true, scope: 'org', rule: deleteApp },
  updateSecrets: { method: 'POST', path: '/v1/apps/{app_name}/secrets', idempotent: true, scope: 'app', rule: action },
  listIpAssignments: { method: 'GET', path: '/v1/apps/{app_name}/ip_assignments', idempotent: true, scope: 'app', rule: action },
  assignIp: { method: 'POST', path: '/v1/apps/{app_name}/ip_assignments', idempotent: false, scope: 'app', rule: action },
  listMachines: { method: 'GET', path: '/v1/apps/{app_name}/machines', idempotent: true, scope: 'app', rule: action },
  createMachine: { method: 'POST', path: '/v1/apps/{app_name}/machines', idempotent: false, scope: 'app', rule: action },
  getMachine: { method: 'GET', path: '/v1/apps/{app_name}/machines/{machine_id}', idempotent: true, scope: 'machine', rule: getMachine },
  updateMachine: { method: 'POST', path: '/v1/apps/{app_name}/machines/{machine_id}', idempotent: false, scope: 'machine', rule: action },
  deleteMachine: { method: 'DELETE', path: '/v1/apps/{app_name}/machines/{machine_id}', idempotent: true, scope: 'machine', rule: action },
  startMachine: { method: 'POST', path: '/v1/apps/{app_name}/machines/{machine_id}/start', idempotent: true, scope: 'machine', rule: action },
  stopMachine: { method: 'POST', path: '/v1/apps/{app_name}/machines/{machine_id}/stop', idempotent: true, scope: 'machine', rule: action },
  restartMachine: { method: 'POST', path: '/v1/apps/{app_name}/machines/{machine_id}/restart', idempotent: false, scope: 'machine', rule: action },
  waitMachine: { method: 'GET', path: '/v1/apps/{app_name}/machines/{machine_id}/wait', idempotent: true, scope: 'machine', rule: action },
  acquireLease: { method: 'POST', path: '/v1/apps/{app_name}/machines/{machine_id}/lease', idempotent: false, scope: 'machine', rule: action },
  releaseLease: { method: 'DELETE', path: '/v1/apps/{app_name}/machines/{machine_id}/lease', idempotent: true, scope: 'machine', rule: action },
  listEvents: { method: 'GET', path: '/v1/apps/{app_name}/machines/{machine_id}/events', idempotent: true, scope: 'machine', rule: action },
} as const satisfies Record<string, FlyRoute>;

export type FlyRouteId = keyof typeof FLY_ROUTES;

/** Fills a path template; every value is URI-encoded, so a name cannot escape its path segment. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined || value === '') throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
