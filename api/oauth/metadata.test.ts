import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar();
});
afterAll(async () => {
  await hangar.dispose();
});

const BASE = 'http://localhost:8080';

describe('OAuth discovery', () => {
  it('a 401 from a deployment’s MCP endpoint names its resource metadata and the mcp scope', async () => {
    const res = await hangar.request('/v1/deployments/dep_abc123/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/v1/deployments/dep_abc123/mcp", scope="mcp"`,
    );
    const get = await hangar.request('/v1/deployments/dep_abc123/mcp');
    expect(get.status).toBe(401);
    expect(get.headers.get('www-authenticate')).toContain('resource_metadata=');
  });

  it('a presented but unknown token gets the challenge with error="invalid_token"', async () => {
    const res = await hangar.request('/v1/deployments/dep_abc123/mcp', { method: 'POST', headers: { authorization: 'Bearer hgr_00000000000000000000', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/v1/deployments/dep_abc123/mcp", scope="mcp", error="invalid_token"`,
    );
  });

  it('an id that is no deployment id never reaches the header', async () => {
    const res = await hangar.request(`/v1/deployments/${encodeURIComponent('x", evil="1')}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('the REST API’s 401s carry no MCP challenge', async () => {
    const res = await hangar.request('/v1/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('serves RFC 9728 protected resource metadata naming the deployment’s MCP URL and Hangar', async () => {
    const res = await hangar.request('/.well-known/oauth-protected-resource/v1/deployments/dep_abc123/mcp');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      resource: `${BASE}/v1/deployments/dep_abc123/mcp`,
      authorization_servers: [BASE],
      scopes_supported: ['mcp', 'offline_access'],
      bearer_methods_supported: ['header'],
      resource_name: 'Hangar deployment dep_abc123',
    });
    const bad = await hangar.request('/.well-known/oauth-protected-resource/v1/deployments/nope/mcp');
    expect(bad.status).toBe(404);
  });

  it('serves RFC 8414 authorization server metadata: S256 only, CIMD, iss on redirects, public clients', async () => {
    const res = await hangar.request('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      issuer: BASE,
      authorization_endpoint: `${BASE}/oauth/authorize`,
      token_endpoint: `${BASE}/oauth/token`,
      registration_endpoint: `${BASE}/oauth/register`,
      revocation_endpoint: `${BASE}/oauth/revoke`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      revocation_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['mcp', 'offline_access'],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  });
});
