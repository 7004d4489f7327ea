import { afterAll, beforeAll } from 'vitest';
import type { TeamFixture } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';
import { seedDeployment } from '../../test/seed-deployment.ts';
import { newId } from '../platform/ids.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar();
});
afterAll(async () => {
  await hangar.dispose();
});

/** A live grant of the fixture's owner on a deployment of the fixture's team. */
async function ownerGrant(fx: TeamFixture): Promise<string> {
  const dep = await seedDeployment(hangar, { teamId: fx.team.id, userId: fx.owner.user.id, name: `g-${newId('tok').slice(4, 12)}` });
  const grant = await hangar.services.db.oAuthGrant.create({
    data: { id: newId('ogr'), userId: fx.owner.user.id, deploymentId: dep, clientId: 'oac_battery000000', clientName: 'Battery', scopes: ['mcp'], resource: `${hangar.services.config.publicUrl}/v1/deployments/${dep}/mcp` },
  });
  return grant.id;
}

runSecurityBattery('GET /v1/me/grants', { hangar: () => hangar, teamScoped: false, tooNarrowScopes: ['mcp'], request: () => ({ method: 'GET', path: '/v1/me/grants' }) });
runSecurityBattery('DELETE /v1/me/grants/{id}', {
  hangar: () => hangar,
  tooNarrowScopes: ['read'],
  request: async (fx) => ({ method: 'DELETE', path: `/v1/me/grants/${await ownerGrant(fx)}` }),
});
