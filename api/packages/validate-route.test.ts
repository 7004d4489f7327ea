import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';
import { FakeNpmRegistry } from './fakes/fake-npm-registry.ts';

const OLD = '2026-01-10T10:00:00.000Z';
let npm: FakeNpmRegistry;
let hangar: TestHangar;
let user: TestUser;

beforeAll(async () => {
  npm = await FakeNpmRegistry.start();
  hangar = await createTestHangar({ env: { NPM_REGISTRY_URL: npm.url } });
  user = await signUpUser(hangar);
  npm.publish('route-pkg', [{ version: '1.0.0', publishedAt: OLD, scripts: { install: 'node-gyp rebuild' } }]);
  npm.publish('route-deprecated', [{ version: '2.0.0', publishedAt: OLD, deprecated: 'use route-pkg' }]);
});
afterAll(async () => {
  await hangar.dispose();
  await npm.close();
});

const post = (body: unknown, headers: Record<string, string> = user.keyHeaders) =>
  hangar.request('/v1/packages/validate', jsonInit('POST', headers, body));
describe('POST /v1/packages/validate', () => {
  it('answers 200 with the verdict, pinned version, integrity and flags', async () => {
    const res = await post({ package: 'npm:route-pkg' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      ok: true,
      runtime: 'npm',
      name: 'route-pkg',
      version: '1.0.0',
      integrity: expect.stringMatching(/^sha512-/),
      tarball: `${npm.server.url}/route-pkg/-/route-pkg-1.0.0.tgz`,
      command: ['npx', '-y', 'route-pkg@1.0.0'],
      flags: [{ code: 'install_scripts', severity: 'warn', message: 'route-pkg@1.0.0 runs install scripts (install)' }],
    });
  });

  it('applies the policy in the body', async () => {
    const res = await post({ package: 'npm:route-pkg@1.0.0', policy: { rejectInstallScripts: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: false, rejected: { code: 'install_scripts' } });
  });

  it('answers 200 ok:false for a deprecated version, with the registry message', async () => {
    const res = await post({ package: 'npm:route-deprecated' });
    expect(await res.json()).toMatchObject({ ok: false, rejected: { code: 'deprecated', message: 'route-deprecated@2.0.0 is deprecated: use route-pkg' } });
  });

  it('answers 422 package_not_found for a package the registry does not have', async () => {
    const res = await post({ package: 'npm:route-missing' });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: { code: 'package_not_found', message: 'npm package "route-missing" not found', requestId: res.headers.get('x-request-id') } });
  });

  it('answers 503 registry_unavailable during an outage', async () => {
    npm.server.setDown(true);
    try {
      const res = await post({ package: 'npm:route-outage' });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'registry_unavailable' } });
    } finally {
      npm.server.setDown(false);
    }
  });

  it('answers 400 with field paths for a bad spec, an unknown runtime, a bad policy or extra fields', async () => {
    for (const [body, path] of [
      [{ package: 'route-pkg' }, 'package'],
      [{ package: 'npm:Bad Name' }, 'package'],
      [{ package: 'npm:route-pkg', policy: { rejectYoungerThanHours: -1 } }, 'policy.rejectYoungerThanHours'],
      [{ package: 'npm:route-pkg', policy: { surprise: true } }, 'policy'],
      [{ package: 'npm:route-pkg', extra: 1 }, '(root)'],
    ] as const) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: { code: string; issues: Array<{ path: string }> } };
      expect(json.error.code).toBe('invalid_request');
      expect(json.error.issues.map((i) => i.path)).toContain(path);
    }
  });

  it('answers 401 without credentials, before any registry call', async () => {
    const before = npm.server.requests.length;
    const res = await post({ package: 'npm:route-pkg' }, { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect(npm.server.requests.length).toBe(before);
  });

  it('documents the route in OpenAPI with described, exemplified fields', async () => {
    const doc = (await (await hangar.request('/openapi.json')).json()) as { paths: Record<string, { post: { responses: Record<string, unknown>; security: unknown[] } }>; components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> } };
    const op = doc.paths['/v1/packages/validate']!.post;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '422', '429', '503']);
    expect(op.security).toEqual([{ apiKey: [] }, { session: [] }]);
    const verdict = doc.components.schemas.PackageVerdict!;
    for (const [field, schema] of Object.entries(verdict.properties)) expect(schema.description, field).toBeTruthy();
  });
});

runSecurityBattery('POST /v1/packages/validate', {
  hangar: () => hangar,
  request: () => ({ method: 'POST', path: '/v1/packages/validate', body: { package: 'npm:route-pkg' } }),
  teamScoped: false,
  tooNarrowScopes: ['mcp'],
});
