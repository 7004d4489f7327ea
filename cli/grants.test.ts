import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from '../test/accounts.ts';
import { seedDeployment } from '../test/seed-deployment.ts';
import { newId } from '../api/platform/ids.ts';
import { createCliHome, runHangar, serveDeploymentWorld, type ServedWorld } from './test-harness.ts';

/** `hangar grants ls` / `revoke` through the real binary against a served Hangar. */
let served: ServedWorld;
let user: TestUser;
let grantId: string;
const cli = createCliHome();
const run = (args: string[]) => runHangar(args, { ...cli, env: { HANGAR_URL: served.url, HANGAR_API_KEY: user.apiKey } });

beforeAll(async () => {
  served = await serveDeploymentWorld();
  const hangar = served.world.hangar;
  user = await signUpUser(hangar);
  const dep = await seedDeployment(hangar, { teamId: user.team.id, userId: user.user.id, name: 'granted' });
  grantId = (await hangar.services.db.oAuthGrant.create({
    data: { id: newId('ogr'), userId: user.user.id, deploymentId: dep, clientId: 'https://claude.ai/oauth/client.json', clientName: 'Claude', scopes: ['mcp', 'offline_access'], resource: `${served.url}/v1/deployments/${dep}/mcp` },
  })).id;
});
afterAll(async () => {
  await served.close();
  cli.dispose();
});

describe('hangar grants', () => {
  it('lists the grants, revokes one, and then lists none', async () => {
    const ls = await run(['grants', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^${grantId}\\s+Claude\\s+granted\\s+mcp offline_access`, 'm'));
    const json = JSON.parse((await run(['grants', 'ls', '--json'])).stdout) as Array<{ id: string }>;
    expect(json.map((g) => g.id)).toEqual([grantId]);
    const revoked = await run(['grants', 'revoke', grantId]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${grantId}`);
    expect((await served.world.hangar.services.db.oAuthGrant.findUniqueOrThrow({ where: { id: grantId } })).revokedReason).toBe('user');
    expect((await run(['grants', 'ls'])).stdout).toContain('No MCP client holds an OAuth grant');
    const again = await run(['grants', 'revoke', grantId]);
    expect(again.code).toBe(3);
  });
});
