import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser, type TestUser } from '../accounts.ts';
import { createTestHangar, type TestHangar } from '../hangar.ts';

/**
 * Regressions for the 500s the fuzzer found. (1) A NUL byte in a path parameter or body string reached
 * PostgreSQL, which refuses it (SQLSTATE 22021/22P05): input the database cannot store is the client's error,
 * 400 with the error shape. (2) POST /v1/me/keys with `teamId: ""` skipped the membership check (empty string
 * is falsy) and hit the foreign key: now 404 like any team the caller is not in.
 */
let hangar: TestHangar;
let user: TestUser;

beforeAll(async () => {
  hangar = await createTestHangar();
  user = await signUpUser(hangar);
});
afterAll(async () => {
  await hangar.dispose();
});

describe('input PostgreSQL cannot store', () => {
  it.each(['/v1/deployments/dep_%00', '/v1/me/keys/%00/rotate', '/v1/teams/%00'])('%s answers 400, not 500', async (path) => {
    const method = path.endsWith('/rotate') ? 'POST' : 'GET';
    const res = await hangar.request(path, jsonInit(method, user.keyHeaders, method === 'POST' ? {} : undefined));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('a NUL inside a JSON string field is refused and stores nothing', async () => {
    const res = await hangar.request('/v1/me', jsonInit('PATCH', user.keyHeaders, { name: 'before\u0000after' }));
    expect(res.status).toBe(400);
    const stored = await hangar.services.db.user.findUniqueOrThrow({ where: { id: user.user.id } });
    expect(stored.name ?? '').not.toContain('before');
  });

  it('a key narrowed to the empty team id is a missing team (404), not a 500, and is not created', async () => {
    const before = await hangar.services.db.apiKey.count({ where: { userId: user.user.id } });
    const res = await hangar.request('/v1/me/keys', jsonInit('POST', user.keyHeaders, { name: 'empty-team', scopes: ['read'], teamId: '' }));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(await hangar.services.db.apiKey.count({ where: { userId: user.user.id } })).toBe(before);
  });

  it('logs none of these as unhandled errors', () => {
    expect(hangar.logs.records().filter((r) => r.msg === 'unhandled error')).toEqual([]);
  });
});
