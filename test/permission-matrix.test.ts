import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredPermission, guard, type Permission } from '../api/auth/permissions.ts';
import { createRouter } from '../api/http/context.ts';
import { roleAtLeast, type TeamRole } from '../api/auth/principal.ts';
import { createTeamFixture, type TeamFixture } from './accounts.ts';
import { createTestHangar, type TestHangar } from './hangar.ts';
import { seedDeployment } from './seed-deployment.ts';

/**
 * Every route registered on the app x every kind of caller. A route without a declared permission fails
 * the first test, so a new route cannot ship without its entry (declare it with `authorized(...)` for
 * OpenAPI routes or `guard(...)` for plain ones).
 */

type Caller = 'anonymous' | 'viewer' | 'member' | 'admin' | 'owner' | 'otherTeamOwner' | 'disabled' | 'globalAdmin' | 'globalAdminRw' | 'narrowKey';
const CALLERS: Caller[] = ['anonymous', 'disabled', 'narrowKey', 'otherTeamOwner', 'viewer', 'member', 'admin', 'owner', 'globalAdminRw', 'globalAdmin'];
type Expectation = { kind: 'allowed' } | { kind: 'denied'; status: 401 | 403 | 404 };

let hangar: TestHangar;
let fx: TeamFixture;
/** A real deployment of the fixture team, so deployment routes are exercised past their guard. */
let deploymentId: string;
/** An ordinary (read/write/mcp) key of the global admin: no team power outside the admin's own teams. */
let globalAdminRwKey: string;

beforeAll(async () => {
  hangar = await createTestHangar();
  fx = await createTeamFixture(hangar);
  const made = await hangar.request('/v1/me/keys', { method: 'POST', headers: { ...fx.globalAdmin.keyHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ci', scopes: ['read', 'write', 'mcp'] }) });
  globalAdminRwKey = ((await made.json()) as { key: string }).key;
  deploymentId = await seedDeployment(hangar, { teamId: fx.team.id, userId: fx.owner.user.id, name: 'matrix' });
});
afterAll(async () => {
  await hangar.dispose();
});

async function restoreMembership(caller: Caller): Promise<void> {
  const who = { viewer: fx.viewer, member: fx.member, admin: fx.admin }[caller as 'viewer' | 'member' | 'admin'];
  if (who) await hangar.services.db.membership.create({ data: { teamId: fx.team.id, userId: who.user.id, role: caller as 'viewer' | 'member' | 'admin' } });
}

function headersFor(caller: Caller): Record<string, string> {
  const key = {
    anonymous: undefined,
    viewer: fx.viewer.apiKey,
    member: fx.member.apiKey,
    admin: fx.admin.apiKey,
    owner: fx.owner.apiKey,
    otherTeamOwner: fx.outsider.apiKey,
    disabled: fx.disabled.apiKey,
    globalAdmin: fx.globalAdmin.apiKey,
    globalAdminRw: globalAdminRwKey,
    narrowKey: fx.narrowKey,
  }[caller];
  return key ? { authorization: `Bearer ${key}` } : {};
}

const TEAM_ROLE_OF: Partial<Record<Caller, TeamRole>> = { viewer: 'viewer', member: 'member', admin: 'admin', owner: 'owner', globalAdmin: 'admin' };

/** What `caller` must get from a route declaring `permission`, derived from the rules in permissions.ts. */
function expected(permission: Permission, caller: Caller): Expectation {
  if (permission.access === 'public') return { kind: 'allowed' };
  if (caller === 'anonymous' || caller === 'disabled') return { kind: 'denied', status: 401 };
  if (permission.access === 'global_admin') return caller === 'globalAdmin' ? { kind: 'allowed' } : { kind: 'denied', status: 403 };
  if (caller === 'narrowKey' && permission.scope !== 'mcp') return { kind: 'denied', status: 403 };
  if (caller === 'globalAdminRw' && permission.scope === 'admin') return { kind: 'denied', status: 403 };
  if (permission.access !== 'team' && permission.access !== 'resource') return { kind: 'allowed' };
  const role = caller === 'narrowKey' ? 'owner' : TEAM_ROLE_OF[caller];
  if (!role) return { kind: 'denied', status: 404 };
  return roleAtLeast(role, permission.role) ? { kind: 'allowed' } : { kind: 'denied', status: 403 };
}

function routeList(): Array<{ method: string; path: string }> {
  const seen = new Set<string>();
  const out: Array<{ method: string; path: string }> = [];
  for (const r of hangar.app.routes) {
    if (r.method === 'ALL' || seen.has(`${r.method} ${r.path}`)) continue;
    seen.add(`${r.method} ${r.path}`);
    out.push({ method: r.method, path: r.path });
  }
  return out;
}

function hasJsonBody(method: string, path: string): boolean {
  const spec = (hangar.app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '0' } }).paths ?? {}) as Record<string, Record<string, { requestBody?: unknown }>>;
  return Boolean(spec[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()]?.requestBody);
}

/** Every call on a deployment that changes it or reaches its MCP server: a viewer must get 403 on each. */
const DEPLOYMENT_WRITES = [
  'PATCH /v1/deployments/:id',
  'DELETE /v1/deployments/:id',
  'POST /v1/deployments/:id/start',
  'POST /v1/deployments/:id/stop',
  'POST /v1/deployments/:id/restart',
  'POST /v1/deployments/:id/mcp',
  'GET /v1/deployments/:id/mcp',
  'DELETE /v1/deployments/:id/mcp',
];

describe('permission matrix', () => {
  it('every registered route declares a permission', () => {
    const missing = routeList().filter((r) => !declaredPermission(hangar.app, r.method, r.path)).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    expect(routeList().length).toBeGreaterThan(40);
  });

  it('finds a declaration only where a guard was registered', () => {
    const probe = createRouter();
    probe.get('/undeclared', (c) => c.text('x'));
    probe.get('/declared', guard({ access: 'signed_in', scope: 'read' }), (c) => c.text('x'));
    expect(declaredPermission(probe, 'GET', '/undeclared')).toBeUndefined();
    expect(declaredPermission(probe, 'GET', '/declared')).toEqual({ access: 'signed_in', scope: 'read' });
  });

  it('every route x caller answers as its declaration says', async () => {
    const routes = routeList();
    // Calls that could succeed without a body run last: DELETE /v1/me really deletes the caller.
    const order = (r: { method: string; path: string }) => (r.method !== 'GET' && !hasJsonBody(r.method, r.path) ? 1 : 0);
    routes.sort((a, b) => order(a) - order(b) || (a.path === '/v1/me' ? 1 : 0) - (b.path === '/v1/me' ? 1 : 0));
    const failures: string[] = [];
    const viewerRefusals: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const permission = declaredPermission(hangar.app, route.method, route.path);
      if (!permission) continue;
      const onDeployment = route.path.startsWith('/v1/deployments/:id');
      const url = route.path.replace(':team', fx.team.id).replace(/^\/v1\/deployments\/:id/, `/v1/deployments/${deploymentId}`).replace(/:(\w+)/g, 'zz_missing_$1');
      const withBody = route.method !== 'GET' && hasJsonBody(route.method, route.path);
      for (const caller of CALLERS) {
        if (permission.access === 'public' && caller !== 'anonymous') continue;
        const want = expected(permission, caller);
        const res = await hangar.request(url, {
          method: route.method,
          headers: { ...headersFor(caller), ...(withBody ? { 'content-type': 'application/json' } : {}) },
          // An array never matches a body schema: an allowed caller gets 400 from validation, after the guard.
          body: withBody ? '[]' : undefined,
        });
        const text = await res.text();
        if (onDeployment && caller === 'viewer' && res.status === 403) viewerRefusals.push(`${route.method} ${route.path}`);
        // An allowed delete or stop really happened: put the intent back so the next caller meets the same deployment.
        if (onDeployment && res.status === 202) await hangar.services.db.deployment.update({ where: { id: deploymentId }, data: { desiredState: 'running', startRequestedAt: null, restartRequestedAt: null } });
        // A member who left really left: put the membership back for the next route.
        if (route.path === '/v1/teams/:team/leave' && res.status === 204) await restoreMembership(caller);
        // Another team's resource answers exactly like a missing one: the team's, or the deployment's 404.
        const missingTeam = res.status === 404 && text.includes(onDeployment ? '"message":"Deployment not found"' : '"message":"Team not found"');
        checked += 1;
        const label = `${route.method} ${route.path} as ${caller}: got ${res.status} ${text.slice(0, 120)}`;
        if (want.kind === 'denied') {
          if (res.status !== want.status) failures.push(`${label}; want ${want.status}`);
          if (want.status === 404 && !missingTeam) failures.push(`${label}; want the missing-team body`);
        } else if (res.status === 401 || res.status === 403 || missingTeam || (withBody && res.status !== 400)) {
          failures.push(`${label}; want allowed${withBody ? ' (400 from validation)' : ''}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(200);
    // The seeded deployment was really reached: a viewer was refused on every write and on MCP.
    expect(viewerRefusals.sort()).toEqual([...DEPLOYMENT_WRITES].sort());
    // Hundreds of real requests, each with argon2-free but database-backed auth: generous on a loaded machine.
  }, 120_000);
});
