import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDeployment } from '../../test/seed-deployment.ts';
import { signUpUser, type TestUser } from '../../test/accounts.ts';
import { createTestHangar, type TestHangar } from '../../test/hangar.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

/** Issue 13 item 9: a cursor this API did not write is a 400 on every paginated list, never a 200 or 500. */
let hangar: TestHangar;
let admin: TestUser;
let deploymentId: string;

beforeAll(async () => {
  hangar = await createTestHangar();
  admin = await signUpUser(hangar, { globalAdmin: true });
  deploymentId = await seedDeployment(hangar, { teamId: admin.team.id, userId: admin.user.id, name: 'cursor-dep' });
});
afterAll(async () => {
  await hangar.dispose();
});

const LISTS = (): string[] => [
  '/v1/admin/users',
  '/v1/admin/outbox',
  '/v1/admin/audit',
  `/v1/teams/${admin.team.id}/audit`,
  `/v1/teams/${admin.team.id}/deployments`,
  `/v1/teams/${admin.team.id}/credentials`,
  '/v1/me/credentials',
  '/v1/templates',
  `/v1/deployments/${deploymentId}/events`,
];
const GARBAGE = ['garbage!', 'zzzz', encodeCursor('usr_not-an-id'), 'dXNyXw==', '99999999999999999999', encodeCursor('x|y'), '-'];

describe('garbage cursors', () => {
  it('every list answers 400 invalid_request naming the cursor', async () => {
    const failures: string[] = [];
    for (const path of LISTS()) {
      for (const cursor of GARBAGE) {
        const res = await hangar.request(`${path}?cursor=${encodeURIComponent(cursor)}`, { headers: admin.keyHeaders });
        const body = (await res.json()) as { error?: { code: string; issues?: Array<{ path: string }> } };
        if (res.status !== 400 || body.error?.code !== 'invalid_request' || body.error.issues?.[0]?.path !== 'cursor') failures.push(`${path} ${cursor}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('the cursors the lists hand out still page on', async () => {
    await signUpUser(hangar);
    const first = (await (await hangar.request('/v1/admin/users?limit=1', { headers: admin.keyHeaders })).json()) as { data: Array<{ id: string }>; nextCursor: string };
    const second = (await (await hangar.request(`/v1/admin/users?limit=1&cursor=${first.nextCursor}`, { headers: admin.keyHeaders })).json()) as { data: Array<{ id: string }> };
    expect(second.data).toHaveLength(1);
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
  });

  it('the outbox pages in its own order (newest first), every mail exactly once', async () => {
    const { db } = hangar.services;
    await db.mailMessage.deleteMany({});
    const base = Date.UTC(2026, 11, 1);
    // Ids in the opposite order to time: paging by id alone would skip or repeat mail.
    const made = ['mail_zzzzzzzzzzzzzzz1', 'mail_mmmmmmmmmmmmmmm2', 'mail_aaaaaaaaaaaaaaa3'];
    for (const [i, id] of made.entries()) await db.mailMessage.create({ data: { id, to: 'x@example.com', subject: `s${i}`, body: 'b', createdAt: new Date(base + i * 1000) } });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i += 1) {
      const res = await hangar.request(`/v1/admin/outbox?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { headers: admin.keyHeaders });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: Array<{ id: string }>; nextCursor: string | null };
      seen.push(...body.data.map((m) => m.id));
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([...made].reverse());
  });

  it('decodeCursor refuses non-canonical base64url', () => {
    expect(decodeCursor(encodeCursor('ABC'), /^[A-Z]+$/)).toBe('ABC');
    expect(() => decodeCursor(`${encodeCursor('ABC')}=`, /^[A-Z]+$/)).toThrow('Invalid cursor');
    expect(() => decodeCursor('QUJDx', /^[A-Z]+$/)).toThrow('Invalid cursor');
  });
});
