import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, jsonInit, signUpUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';

/** Issue 13 item 8: members and viewers leave a team themselves; the owner cannot. */
let hangar: TestHangar;
beforeAll(async () => {
  hangar = await createTestHangar();
});
afterAll(async () => {
  await hangar.dispose();
});
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('POST /v1/teams/{team}/leave', () => {
  it('a viewer and a member leave; their team-narrowed keys die with the membership; it is audited', async () => {
    const owner = await signUpUser(hangar);
    const viewer = await signUpUser(hangar);
    const member = await signUpUser(hangar);
    await addMember(hangar, owner.team.id, viewer.user.id, 'viewer');
    await addMember(hangar, owner.team.id, member.user.id, 'member');
    const narrowRes = await hangar.request('/v1/me/keys', jsonInit('POST', member.cookieHeaders, { name: 'narrow', scopes: ['read', 'write'], teamId: owner.team.id }));
    expect(narrowRes.status).toBe(201);
    const narrow = ((await narrowRes.json()) as { key: string }).key;

    expect((await hangar.request(`/v1/teams/${owner.team.id}/leave`, { method: 'POST', headers: viewer.keyHeaders })).status).toBe(204);
    expect((await hangar.request(`/v1/teams/${owner.team.id}/leave`, { method: 'POST', headers: member.cookieHeaders })).status).toBe(204);
    const left = await hangar.services.db.membership.findMany({ where: { teamId: owner.team.id } });
    expect(left.map((m) => m.userId)).toEqual([owner.user.id]);
    expect((await hangar.request(`/v1/teams/${owner.team.id}`, { headers: viewer.keyHeaders })).status).toBe(404);
    expect((await hangar.request('/v1/me', { headers: { authorization: `Bearer ${narrow}` } })).status).toBe(401);
    // The member's own personal team and ordinary key are untouched.
    expect((await hangar.request(`/v1/teams/${member.team.id}`, { headers: member.keyHeaders })).status).toBe(200);
    const audit = await hangar.services.db.auditEntry.findMany({ where: { teamId: owner.team.id, action: 'team.member.leave' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.actorUserId, a.data])).toEqual([[viewer.user.id, { role: 'viewer' }], [member.user.id, { role: 'member' }]]);
  });

  it('the owner cannot leave (409 owner_cannot_leave), nor from a personal team; nothing changes', async () => {
    const owner = await signUpUser(hangar);
    const res = await hangar.request(`/v1/teams/${owner.team.id}/leave`, { method: 'POST', headers: owner.keyHeaders });
    expect(res.status).toBe(409);
    expect(await code(res)).toBe('owner_cannot_leave');
    expect(await hangar.services.db.membership.count({ where: { teamId: owner.team.id } })).toBe(1);
  });

  it('a global admin reaching the team without a membership has nothing to leave (409 not_a_member)', async () => {
    const owner = await signUpUser(hangar);
    const admin = await signUpUser(hangar, { globalAdmin: true });
    const res = await hangar.request(`/v1/teams/${owner.team.id}/leave`, { method: 'POST', headers: admin.keyHeaders });
    expect(res.status).toBe(409);
    expect(await code(res)).toBe('not_a_member');
  });

  it('a read-only key cannot leave (403), and an outsider gets 404', async () => {
    const owner = await signUpUser(hangar);
    const viewer = await signUpUser(hangar, { scopes: ['read'] });
    await addMember(hangar, owner.team.id, viewer.user.id, 'viewer');
    const res = await hangar.request(`/v1/teams/${owner.team.id}/leave`, { method: 'POST', headers: viewer.keyHeaders });
    expect(res.status).toBe(403);
    expect(await hangar.services.db.membership.count({ where: { teamId: owner.team.id } })).toBe(2);
  });
});

runSecurityBattery('POST /v1/teams/{team}/leave', {
  hangar: () => hangar,
  tooNarrowScopes: ['read'],
  request: (f) => ({ method: 'POST', path: `/v1/teams/${f.team.id}/leave` }),
});
