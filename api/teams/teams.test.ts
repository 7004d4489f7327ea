import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createTeamFixture, jsonInit, signUpUser, type TeamFixture } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { runSecurityBattery } from '../../test/security.ts';
import type { ManualClock } from '../platform/clock.ts';

let hangar: TestHangar;
let fx: TeamFixture;
beforeAll(async () => {
  hangar = await createTestHangar();
  fx = await createTeamFixture(hangar);
});
afterAll(async () => {
  await hangar.dispose();
});
const req = (method: string, path: string, headers: Record<string, string>, body?: unknown) => hangar.request(path, jsonInit(method, headers, body));
const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('teams', () => {
  it('creates a team with the caller as owner, by id or slug, and refuses a taken slug', async () => {
    const u = await signUpUser(hangar);
    const res = await req('POST', '/v1/teams', u.keyHeaders, { name: 'Acme', slug: 'acme-co' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ slug: 'acme-co', name: 'Acme', personal: false, role: 'owner' });
    expect((await req('GET', '/v1/teams/acme-co', u.keyHeaders)).status).toBe(200);
    expect(await code(await req('POST', '/v1/teams', u.keyHeaders, { name: 'Again', slug: 'acme-co' }))).toBe('slug_taken');
    expect((await req('POST', '/v1/teams', u.keyHeaders, { name: 'Bad', slug: 'Bad Slug' })).status).toBe(400);
    const list = (await (await req('GET', '/v1/teams', u.keyHeaders)).json()) as { data: Array<{ slug: string }> };
    expect(list.data.map((t) => t.slug)).toEqual([u.team.slug, 'acme-co']);
  });

  it('lets the owner rename, refuses a personal team deletion, deletes a normal team', async () => {
    const u = await signUpUser(hangar);
    const { id } = (await (await req('POST', '/v1/teams', u.keyHeaders, { name: 'Temp' })).json()) as { id: string };
    const renamed = await req('PATCH', `/v1/teams/${id}`, u.keyHeaders, { name: 'Renamed' });
    expect(await renamed.json()).toMatchObject({ name: 'Renamed' });
    expect(await code(await req('DELETE', `/v1/teams/${u.team.id}`, u.keyHeaders))).toBe('personal_team');
    expect((await req('DELETE', `/v1/teams/${id}`, u.keyHeaders)).status).toBe(204);
    expect((await req('GET', `/v1/teams/${id}`, u.keyHeaders)).status).toBe(404);
  });

  it('transfers ownership to a member; the team keeps exactly one owner', async () => {
    const owner = await signUpUser(hangar);
    const heir = await signUpUser(hangar);
    const { id } = (await (await req('POST', '/v1/teams', owner.keyHeaders, { name: 'Heirloom' })).json()) as { id: string };
    expect((await req('POST', `/v1/teams/${id}/transfer`, owner.keyHeaders, { userId: heir.user.id })).status).toBe(404);
    await addMember(hangar, id, heir.user.id, 'member');
    const res = await req('POST', `/v1/teams/${id}/transfer`, owner.keyHeaders, { userId: heir.user.id });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ role: 'admin' });
    const roles = await hangar.services.db.membership.findMany({ where: { teamId: id }, orderBy: { role: 'asc' } });
    expect(roles.filter((m) => m.role === 'owner').map((m) => m.userId)).toEqual([heir.user.id]);
    expect((await req('POST', `/v1/teams/${id}/transfer`, owner.keyHeaders, { userId: owner.user.id })).status).toBe(403);
  });
});

describe('members', () => {
  it('lists members for a viewer; admins change members and viewers, not admins or the owner', async () => {
    const list = (await (await req('GET', `/v1/teams/${fx.team.id}/members`, fx.viewer.keyHeaders)).json()) as { data: Array<{ role: string }> };
    expect(list.data.map((m) => m.role).sort()).toEqual(['admin', 'member', 'member', 'owner', 'viewer']);
    const promoted = await req('PATCH', `/v1/teams/${fx.team.id}/members/${fx.viewer.user.id}`, fx.admin.keyHeaders, { role: 'member' });
    expect(promoted.status).toBe(200);
    expect(await promoted.json()).toMatchObject({ role: 'member' });
    expect(await code(await req('PATCH', `/v1/teams/${fx.team.id}/members/${fx.viewer.user.id}`, fx.admin.keyHeaders, { role: 'admin' }))).toBe('insufficient_role');
    expect((await req('PATCH', `/v1/teams/${fx.team.id}/members/${fx.owner.user.id}`, fx.admin.keyHeaders, { role: 'viewer' })).status).toBe(403);
    expect((await req('PATCH', `/v1/teams/${fx.team.id}/members/${fx.viewer.user.id}`, fx.owner.keyHeaders, { role: 'viewer' })).status).toBe(200);
    expect((await req('PATCH', `/v1/teams/${fx.team.id}/members/${fx.viewer.user.id}`, fx.member.keyHeaders, { role: 'admin' })).status).toBe(403);
    expect((await req('DELETE', `/v1/teams/${fx.team.id}/members/${fx.owner.user.id}`, fx.admin.keyHeaders)).status).toBe(403);
    expect((await req('DELETE', `/v1/teams/${fx.team.id}/members/usr_nobody`, fx.admin.keyHeaders)).status).toBe(404);
  });
});

describe('invitations', () => {
  it('invites by email; the invitee accepts once; other emails and expired invitations get 404', async () => {
    const owner = await signUpUser(hangar);
    const invitee = await signUpUser(hangar);
    const stranger = await signUpUser(hangar);
    const res = await req('POST', `/v1/teams/${owner.team.id}/invitations`, owner.keyHeaders, { email: invitee.user.email.toUpperCase(), role: 'member' });
    expect(res.status).toBe(201);
    const mail = await hangar.services.db.mailMessage.findFirstOrThrow({ where: { to: invitee.user.email }, orderBy: { createdAt: 'desc' } });
    const token = mail.body.match(/hgi_[0-9a-z]+/)?.[0] ?? '';
    expect((await req('GET', `/v1/teams/${owner.team.id}/invitations`, owner.keyHeaders)).status).toBe(200);
    expect((await req('POST', '/v1/invitations/accept', stranger.keyHeaders, { token })).status).toBe(404);
    const accepted = await req('POST', '/v1/invitations/accept', invitee.keyHeaders, { token });
    expect(accepted.status).toBe(200);
    expect((await req('GET', `/v1/teams/${owner.team.id}`, invitee.keyHeaders)).status).toBe(200);
    expect((await req('POST', '/v1/invitations/accept', invitee.keyHeaders, { token })).status).toBe(404);
    expect(await code(await req('POST', `/v1/teams/${owner.team.id}/invitations`, owner.keyHeaders, { email: invitee.user.email, role: 'viewer' }))).toBe('already_member');

    await req('POST', `/v1/teams/${owner.team.id}/invitations`, owner.keyHeaders, { email: stranger.user.email, role: 'viewer' });
    const late = (await hangar.services.db.mailMessage.findFirstOrThrow({ where: { to: stranger.user.email }, orderBy: { createdAt: 'desc' } })).body.match(/hgi_[0-9a-z]+/)?.[0] ?? '';
    (hangar.clock as ManualClock).advance(7 * 86_400_000 + 1000);
    expect((await req('POST', '/v1/invitations/accept', stranger.keyHeaders, { token: late })).status).toBe(404);
  });

  it('withdraws an invitation; only owners invite admins', async () => {
    const inv = await req('POST', `/v1/teams/${fx.team.id}/invitations`, fx.admin.keyHeaders, { email: 'later@example.com', role: 'viewer' });
    const { id } = (await inv.json()) as { id: string };
    expect((await req('DELETE', `/v1/teams/${fx.team.id}/invitations/${id}`, fx.admin.keyHeaders)).status).toBe(204);
    expect((await req('DELETE', `/v1/teams/${fx.team.id}/invitations/${id}`, fx.admin.keyHeaders)).status).toBe(404);
    expect((await req('POST', `/v1/teams/${fx.team.id}/invitations`, fx.admin.keyHeaders, { email: 'boss@example.com', role: 'admin' })).status).toBe(403);
    expect((await req('POST', `/v1/teams/${fx.team.id}/invitations`, fx.owner.keyHeaders, { email: 'boss@example.com', role: 'admin' })).status).toBe(201);
  });
});

describe('audit', () => {
  it('shows team admins their team’s entries, paginated, and refuses members', async () => {
    await req('PATCH', `/v1/teams/${fx.team.id}`, fx.owner.keyHeaders, { name: 'Audited' });
    const first = await req('GET', `/v1/teams/${fx.team.id}/audit?limit=2`, fx.admin.keyHeaders);
    expect(first.status).toBe(200);
    const page = (await first.json()) as { data: Array<{ action: string; teamId: string; actorUserId: string }>; nextCursor: string | null };
    expect(page.data).toHaveLength(2);
    expect(page.data.every((e) => e.teamId === fx.team.id)).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    const next = (await (await req('GET', `/v1/teams/${fx.team.id}/audit?limit=200&cursor=${page.nextCursor}`, fx.admin.keyHeaders)).json()) as { data: Array<{ action: string }> };
    expect(next.data.map((e) => e.action)).toContain('team.member.update');
    expect((await req('GET', `/v1/teams/${fx.team.id}/audit`, fx.member.keyHeaders)).status).toBe(403);
    expect((await req('GET', `/v1/teams/${fx.team.id}/audit?cursor=abc`, fx.admin.keyHeaders)).status).toBe(400);
    const all = (await (await req('GET', '/v1/admin/audit?limit=200', fx.globalAdmin.keyHeaders)).json()) as { data: Array<{ action: string }> };
    expect(all.data.map((e) => e.action)).toContain('auth.signup');
  });
});

runSecurityBattery('GET /v1/teams/{team}/members', {
  hangar: () => hangar,
  tooNarrowScopes: ['mcp'],
  request: (f) => ({ method: 'GET', path: `/v1/teams/${f.team.id}/members` }),
});

runSecurityBattery('POST /v1/teams/{team}/invitations', {
  hangar: () => hangar,
  tooNarrowScopes: ['read'],
  request: (f) => ({ method: 'POST', path: `/v1/teams/${f.team.id}/invitations`, body: { email: 'x@example.com', role: 'viewer' } }),
});
