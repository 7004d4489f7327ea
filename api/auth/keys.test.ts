import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, jsonInit, signUpUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';
import type { ManualClock } from '../platform/clock.ts';

let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar({ env: { HANGAR_RATE_LIMIT_PER_MINUTE: '50' } });
});
afterAll(async () => {
  await hangar.dispose();
});
const clock = () => hangar.clock as ManualClock;
const me = (key: string) => hangar.request('/v1/me', { headers: { authorization: `Bearer ${key}` } });

describe('API keys', () => {
  it('shows the key once, stores only its hash, and revocation is 401 on the very next request', async () => {
    const u = await signUpUser(hangar);
    const res = await hangar.request('/v1/me/keys', jsonInit('POST', u.keyHeaders, { name: 'ci', scopes: ['read'] }));
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; key: string; prefix: string; scopes: string[] };
    expect(created.key).toMatch(/^hgr_[0-9a-z]{32}$/);
    expect(created.prefix).toBe(created.key.slice(0, 8));
    const row = await hangar.services.db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.keyHash).toMatch(/^[0-9a-f]{64}$/);
    const list = await (await hangar.request('/v1/me/keys', { headers: u.keyHeaders })).text();
    expect(list).not.toContain(created.key);
    expect(list).not.toContain(row.keyHash);
    expect((await me(created.key)).status).toBe(200);
    expect((await hangar.request(`/v1/me/keys/${created.id}`, { method: 'DELETE', headers: u.keyHeaders })).status).toBe(204);
    expect((await me(created.key)).status).toBe(401);
  });

  it('records last use at most once a minute, in batches off the request path', async () => {
    const u = await signUpUser(hangar);
    await me(u.apiKey);
    await hangar.services.lastUsed.flush();
    const first = (await hangar.services.db.apiKey.findUniqueOrThrow({ where: { id: u.apiKeyId } })).lastUsedAt;
    expect(first?.getTime()).toBe(clock().now().getTime());
    clock().advance(30_000);
    await me(u.apiKey);
    await hangar.services.lastUsed.flush();
    expect((await hangar.services.db.apiKey.findUniqueOrThrow({ where: { id: u.apiKeyId } })).lastUsedAt).toEqual(first);
    clock().advance(31_000);
    await me(u.apiKey);
    await hangar.services.lastUsed.flush();
    expect((await hangar.services.db.apiKey.findUniqueOrThrow({ where: { id: u.apiKeyId } })).lastUsedAt?.getTime()).toBe(clock().now().getTime());
  });

  it('expires keys at their expiry', async () => {
    const u = await signUpUser(hangar);
    const expiresAt = new Date(clock().now().getTime() + 60_000).toISOString();
    const { key } = (await (await hangar.request('/v1/me/keys', jsonInit('POST', u.keyHeaders, { name: 'short', scopes: ['read'], expiresAt }))).json()) as { key: string };
    expect((await me(key)).status).toBe(200);
    clock().advance(61_000);
    expect((await me(key)).status).toBe(401);
    const past = await hangar.request('/v1/me/keys', jsonInit('POST', u.keyHeaders, { name: 'past', scopes: ['read'], expiresAt: '2000-01-01T00:00:00Z' }));
    expect(past.status).toBe(400);
  });

  it('rotates: the new key works, the old one until the grace period ends', async () => {
    const u = await signUpUser(hangar);
    const res = await hangar.request(`/v1/me/keys/${u.apiKeyId}/rotate`, jsonInit('POST', u.keyHeaders, { gracePeriodSeconds: 600 }));
    expect(res.status).toBe(201);
    const next = (await res.json()) as { key: string; scopes: string[] };
    expect(next.scopes).toEqual(['read', 'write', 'mcp', 'admin']);
    expect((await me(next.key)).status).toBe(200);
    expect((await me(u.apiKey)).status).toBe(200);
    clock().advance(601_000);
    expect((await me(u.apiKey)).status).toBe(401);
    expect((await me(next.key)).status).toBe(200);
    const tooLong = await hangar.request(`/v1/me/keys/${u.apiKeyId}/rotate`, jsonInit('POST', { authorization: `Bearer ${next.key}` }, { gracePeriodSeconds: 86_401 }));
    expect(tooLong.status).toBe(400);
  });

  it('cannot mint a key with more rights than the key creating it', async () => {
    const u = await signUpUser(hangar, { scopes: ['read', 'write'] });
    const wider = await hangar.request('/v1/me/keys', jsonInit('POST', u.keyHeaders, { name: 'wider', scopes: ['admin'] }));
    expect(wider.status).toBe(403);
    const other = await signUpUser(hangar);
    const foreign = await hangar.request('/v1/me/keys', jsonInit('POST', u.keyHeaders, { name: 'x', scopes: ['read'], teamId: other.team.id }));
    expect(foreign.status).toBe(404);
    expect((await hangar.request(`/v1/me/keys/${other.apiKeyId}`, { method: 'DELETE', headers: u.keyHeaders })).status).toBe(404);
  });

  it('narrows a key to one team: it lists only that team and gets 404 for the others', async () => {
    const u = await signUpUser(hangar);
    const created = await hangar.request('/v1/teams', jsonInit('POST', u.keyHeaders, { name: 'Second' }));
    const second = (await created.json()) as { id: string };
    const { key } = (await (await hangar.request('/v1/me/keys', jsonInit('POST', u.keyHeaders, { name: 'n', scopes: ['read', 'write'], teamId: second.id }))).json()) as { key: string };
    const headers = { authorization: `Bearer ${key}` };
    const teams = (await (await hangar.request('/v1/teams', { headers })).json()) as { data: Array<{ id: string }> };
    expect(teams.data.map((t) => t.id)).toEqual([second.id]);
    expect((await hangar.request(`/v1/teams/${u.team.id}`, { headers })).status).toBe(404);
    expect((await hangar.request(`/v1/teams/${second.id}`, { headers })).status).toBe(200);
    const wider = await hangar.request('/v1/me/keys', jsonInit('POST', headers, { name: 'escape', scopes: ['read'] }));
    expect(wider.status).toBe(403);
  });

  it('limits requests per key with 429 and Retry-After', async () => {
    const u = await signUpUser(hangar);
    const statuses: number[] = [];
    for (let i = 0; i < 52; i += 1) statuses.push((await me(u.apiKey)).status);
    expect(statuses.filter((s) => s === 200).length).toBe(50);
    expect(statuses.slice(50)).toEqual([429, 429]);
    const limited = await me(u.apiKey);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    clock().advance(61_000);
    expect((await me(u.apiKey)).status).toBe(200);
  });

  it('keys of a removed member narrowed to that team stop working', async () => {
    const owner = await signUpUser(hangar);
    const member = await signUpUser(hangar);
    await addMember(hangar, owner.team.id, member.user.id, 'member');
    const { key } = (await (await hangar.request('/v1/me/keys', jsonInit('POST', member.keyHeaders, { name: 't', scopes: ['read'], teamId: owner.team.id }))).json()) as { key: string };
    expect((await me(key)).status).toBe(200);
    expect((await hangar.request(`/v1/teams/${owner.team.id}/members/${member.user.id}`, { method: 'DELETE', headers: owner.keyHeaders })).status).toBe(204);
    expect((await me(key)).status).toBe(401);
  });
});

runSecurityBattery('DELETE /v1/me/keys/{id}', {
  hangar: () => hangar,
  teamScoped: false,
  tooNarrowScopes: ['read'],
  request: (fx) => ({ method: 'DELETE', path: `/v1/me/keys/${fx.owner.apiKeyId}` }),
});
