import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from '../../test/accounts.ts';
import { publishClient, startCimdServer, type CimdServer } from '../../test/cimd-server.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { authorizeThroughPages, authorizeUrl, pkcePair, tokenRequest } from '../../test/oauth-client.ts';
import { seedDeployment } from '../../test/seed-deployment.ts';

const REDIRECT = 'http://127.0.0.1:47200/cb';
let cimd: CimdServer;
let hangar: TestHangar;
let owner: TestUser;
let resource: string;

beforeAll(async () => {
  cimd = await startCimdServer();
  hangar = await createTestHangar({ clientMetadata: cimd.fetcher });
  owner = await signUpUser(hangar);
  const dep = await seedDeployment(hangar, { teamId: owner.team.id, userId: owner.user.id, name: 'cimd' });
  resource = `http://localhost:8080/v1/deployments/${dep}/mcp`;
});
afterAll(async () => {
  await hangar.dispose();
  await cimd.close();
});

async function authorizePage(clientId: string): Promise<{ status: number; text: string }> {
  const res = await hangar.request(authorizeUrl({ clientId, redirectUri: REDIRECT, resource, challenge: pkcePair().challenge }), { redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

describe('Client ID Metadata Documents', () => {
  it('an https client_id is fetched, named on the pages by its name and host, and completes the flow', async () => {
    const clientId = publishClient(cimd, '/oauth/good.json', (id) => ({ client_id: id, client_name: 'Example Agent', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }));
    const page = await authorizePage(clientId);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Example Agent');
    expect(page.text).toContain('client.example.com');
    const { verifier, challenge } = pkcePair();
    const back = await authorizeThroughPages(hangar, { email: owner.user.email, password: owner.password }, { clientId, redirectUri: REDIRECT, resource, challenge, state: 'c' });
    const res = await tokenRequest(hangar, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: clientId, code_verifier: verifier, resource });
    expect(res.status).toBe(200);
    expect(cimd.requests).toContain('/oauth/good.json');
    expect(await hangar.services.db.oAuthGrant.count({ where: { clientId, clientName: 'Example Agent' } })).toBe(1);
  });

  it('refuses a document that names another client_id, lacks the redirect URI, is too large, redirects or is not JSON', async () => {
    const cases: Array<[string, { status: number; body: string; headers?: Record<string, string> }, string]> = [
      ['/oauth/other.json', { status: 200, body: JSON.stringify({ client_id: 'https://client.example.com/oauth/x.json', redirect_uris: [REDIRECT] }) }, 'does not name its own URL'],
      ['/oauth/secret.json', { status: 200, body: JSON.stringify({ client_id: 'https://client.example.com/oauth/secret.json', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_post' }) }, 'other than none'],
      ['/oauth/http.json', { status: 200, body: JSON.stringify({ client_id: 'https://client.example.com/oauth/http.json', redirect_uris: ['http://example.org/cb'] }) }, 'lists a redirect URI'],
      ['/oauth/big.json', { status: 200, body: JSON.stringify({ client_id: 'https://client.example.com/oauth/big.json', redirect_uris: [REDIRECT], pad: 'x'.repeat(6000) }) }, 'larger than'],
      ['/oauth/moved.json', { status: 302, body: '', headers: { location: 'http://169.254.169.254/latest' } }, 'answered HTTP 302'],
      ['/oauth/html.json', { status: 200, body: '<html>' }, 'not JSON'],
    ];
    for (const [path, route, message] of cases) {
      cimd.routes.set(path, route);
      const page = await authorizePage(`https://client.example.com${path}`);
      expect(page.status, path).toBe(400);
      expect(page.text, path).toContain(message);
    }
    const other = publishClient(cimd, '/oauth/mismatch.json', (id) => ({ client_id: id, redirect_uris: ['http://127.0.0.1:47200/other'] }));
    const page = await authorizePage(other);
    expect(page.status).toBe(400);
    expect(page.text).toContain('redirect_uri is not one the client registered');
  });

  it('applies the SSRF rules before any request: loopback, private and unresolvable hosts are never fetched', async () => {
    const before = cimd.requests.length;
    for (const [clientId, message] of [
      ['https://rebind.example.net/c.json', 'resolves to a loopback address'],
      ['https://127.0.0.1/c.json', 'is a loopback address'],
      ['https://169.254.169.254/latest/meta-data', 'metadata'],
      ['https://nowhere.example.org/c.json', 'does not resolve'],
    ] as const) {
      const page = await authorizePage(clientId);
      expect(page.status, clientId).toBe(400);
      expect(page.text, clientId).toContain(message);
    }
    expect(cimd.requests.length).toBe(before);
  });
});
