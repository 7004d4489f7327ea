import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { TeamFixture } from '../../test/accounts.ts';
import { jsonInit } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { runSecurityBattery } from '../../test/security.ts';

/** The shared security battery on every deployment route, each case against a fresh deployment of the fixture team. */
let world: DeploymentWorld;

beforeAll(async () => {
  world = await createDeploymentWorld({ env: { HANGAR_DEPLOYMENT_QUOTA: '100' } });
});
afterAll(async () => {
  await world.close();
});

async function deploymentOf(fx: TeamFixture): Promise<string> {
  const res = await world.hangar.request(
    `/v1/teams/${fx.team.id}/deployments`,
    jsonInit('POST', fx.owner.keyHeaders, { name: `sec-${randomBytes(4).toString('hex')}`, package: `npm:${TEST_PACKAGE}` }),
  );
  if (res.status !== 202) throw new Error(`deploy failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

runSecurityBattery('POST /v1/teams/{team}/deployments', {
  hangar: () => world.hangar,
  request: (fx) => ({ method: 'POST', path: `/v1/teams/${fx.team.id}/deployments`, body: { name: `sec-${randomBytes(4).toString('hex')}`, package: `npm:${TEST_PACKAGE}` } }),
  tooNarrowScopes: ['read'],
});

runSecurityBattery('GET /v1/teams/{team}/deployments', {
  hangar: () => world.hangar,
  request: (fx) => ({ method: 'GET', path: `/v1/teams/${fx.team.id}/deployments` }),
  tooNarrowScopes: ['mcp'],
});

for (const [method, suffix, scopes, body] of [
  ['GET', '', ['mcp'], undefined],
  ['GET', '/events', ['mcp'], undefined],
  ['GET', '/logs', ['mcp'], undefined],
  ['GET', '/calls', ['mcp'], undefined],
  ['PATCH', '', ['read'], { args: [] }],
  ['POST', '/stop', ['read'], undefined],
  ['POST', '/start', ['read'], undefined],
  ['POST', '/restart', ['read'], undefined],
  ['DELETE', '', ['read'], undefined],
] as const) {
  runSecurityBattery(`${method} /v1/deployments/{id}${suffix}`, {
    hangar: () => world.hangar,
    request: async (fx) => ({ method, path: `/v1/deployments/${await deploymentOf(fx)}${suffix}`, body }),
    tooNarrowScopes: [...scopes],
  });
}
