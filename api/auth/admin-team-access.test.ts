import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeployment } from '../../test/seed-deployment.ts';
import { jsonInit, signUpUser, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';

/**
 * Issue 13 item 2: a global admin has power in a team it does not belong to only through a session or an
 * `admin`-scoped key, and every such entry is written to that team's audit log.
 */
let hangar: TestHangar;
let tenant: TestUser;
let admin: TestUser;
let adminRw: string;
let deploymentId: string;

beforeAll(async () => {
  hangar = await createTestHangar();
  tenant = await signUpUser(hangar);
  admin = await signUpUser(hangar, { globalAdmin: true });
  const made = await hangar.request('/v1/me/keys', jsonInit('POST', admin.cookieHeaders, { name: 'ci', scopes: ['read', 'write', 'mcp'] }));
  adminRw = ((await made.json()) as { key: string }).key;
  deploymentId = await seedDeployment(hangar, { teamId: tenant.team.id, userId: tenant.user.id, name: 'tenant-dep' });
});
afterAll(async () => {
  await hangar.dispose();
});

async function adminAccessEntries(): Promise<Array<{ actorUserId: string; actorKeyId: string | null; data: { method: string; path: string } }>> {
  const res = await hangar.request(`/v1/teams/${tenant.team.id}/audit?limit=100`, { headers: tenant.keyHeaders });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: Array<{ action: string; actorUserId: string; actorKeyId: string | null; data: { method: string; path: string } }> };
  return body.data.filter((e) => e.action === 'admin.team_access');
}

describe('a global admin in a team it is not a member of', () => {
  it('gets 404 with an ordinary read/write/mcp key on credentials, deployments and MCP, and nothing is audited', async () => {
    const h = { authorization: `Bearer ${adminRw}` };
    const reads = [
      await hangar.request(`/v1/teams/${tenant.team.id}/credentials`, { headers: h }),
      await hangar.request(`/v1/teams/${tenant.team.id}/deployments`, { headers: h }),
      await hangar.request(`/v1/deployments/${deploymentId}`, { headers: h }),
      await hangar.request(`/v1/deployments/${deploymentId}/mcp`, { headers: h }),
    ];
    const plant = await hangar.request(`/v1/teams/${tenant.team.id}/credentials`, jsonInit('POST', h, { name: 'PLANTED', value: 'x' }));
    const stop = await hangar.request(`/v1/deployments/${deploymentId}/stop`, { method: 'POST', headers: h });
    for (const res of [...reads, plant, stop]) {
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect(await hangar.services.db.credential.count({ where: { teamId: tenant.team.id } })).toBe(0);
    expect((await hangar.services.db.deployment.findUniqueOrThrow({ where: { id: deploymentId } })).desiredState).toBe('running');
    expect(await adminAccessEntries()).toEqual([]);
  });

  it('still uses its ordinary key in its own teams', async () => {
    const res = await hangar.request(`/v1/teams/${admin.team.id}/credentials`, { headers: { authorization: `Bearer ${adminRw}` } });
    expect(res.status).toBe(200);
  });

  it('acts with an admin-scoped key and a session, each entry audited once per request in that team', async () => {
    const creds = await hangar.request(`/v1/teams/${tenant.team.id}/credentials`, { headers: admin.keyHeaders });
    expect(creds.status).toBe(200);
    const dep = await hangar.request(`/v1/deployments/${deploymentId}`, { headers: admin.cookieHeaders });
    expect(dep.status).toBe(200);
    // The guard let it through; the seeded deployment has no address, so the proxy answers 503.
    const mcp = await hangar.request(`/v1/deployments/${deploymentId}/mcp`, { headers: admin.keyHeaders });
    expect(mcp.status).toBe(503);
    const entries = await adminAccessEntries();
    expect(entries.map((e) => `${e.data.method} ${e.data.path}`).sort()).toEqual(
      [`GET /v1/deployments/${deploymentId}`, `GET /v1/deployments/${deploymentId}/mcp`, `GET /v1/teams/${tenant.team.id}/credentials`].sort(),
    );
    expect(entries.every((e) => e.actorUserId === admin.user.id)).toBe(true);
    expect(entries.filter((e) => e.actorKeyId === admin.apiKeyId)).toHaveLength(2);
    // Its own team, reached by membership, is not an admin access.
    await hangar.request(`/v1/teams/${admin.team.id}/credentials`, { headers: admin.keyHeaders });
    expect(await hangar.services.db.auditEntry.count({ where: { teamId: admin.team.id, action: 'admin.team_access' } })).toBe(0);
  });
});
