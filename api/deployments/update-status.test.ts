import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit } from '../../test/accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from '../../test/deployments-harness.ts';
import { updateDeployment } from './service.ts';

/** PATCH answers what happened: 409 only for a real version conflict, 503 when the database is lost, 400 bad input. */

let world: DeploymentWorld;
let id: string;

beforeAll(async () => {
  world = await createDeploymentWorld();
  const res = await world.deploy(world.owner, { name: 'patched', package: `npm:${TEST_PACKAGE}@1.1.0` });
  expect(res.status).toBe(202);
  id = ((await res.json()) as { id: string }).id;
});
afterAll(async () => {
  await world.close();
});

function patch(body: unknown): Promise<Response> {
  return world.hangar.request(`/v1/deployments/${id}`, jsonInit('PATCH', world.owner.keyHeaders, body));
}

describe('PATCH /v1/deployments/{id} statuses', () => {
  it('answers 400 for bad input and changes nothing', async () => {
    const before = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    const res = await patch({ args: 'not-a-list' });
    expect(res.status).toBe(400);
    const after = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(after.version).toBe(before.version);
  });

  it('answers 409 version_conflict only when the row changed since it was read', async () => {
    const stale = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    expect((await patch({ args: ['--one'] })).status).toBe(202);
    const ctx = {
      services: world.hangar.services,
      principal: { userId: world.owner.user.id } as never,
      actor: { actorUserId: world.owner.user.id, actorKeyId: null, ip: null, requestId: null },
    };
    await expect(updateDeployment(ctx, stale, { args: ['--two'] } as never)).rejects.toMatchObject({ status: 409, code: 'version_conflict' });
  });

  it('answers 503 (not 409) when the database connection is lost during the update', async () => {
    const { pool } = world.hangar.services;
    const holder = await pool.connect();
    try {
      // Hold the row so the PATCH's UPDATE waits on it, then kill the PATCH's backend as an outage would.
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM deployments WHERE id = $1 FOR UPDATE', [id]);
      const pending = patch({ args: ['--three'] });
      let victim: number | undefined;
      for (let i = 0; i < 200 && victim === undefined; i += 1) {
        const waiting = await pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE%deployments%'`,
        );
        victim = waiting.rows[0]?.pid;
        if (victim === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      expect(victim).toBeDefined();
      await pool.query('SELECT pg_terminate_backend($1)', [victim]);
      const res = await pending;
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).not.toBe('version_conflict');
      expect(JSON.stringify(body)).not.toMatch(/terminat|administrator|stack/i);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    const row = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
    expect(row.launchSpec).toMatchObject({ args: ['--one'] });
  });
});
