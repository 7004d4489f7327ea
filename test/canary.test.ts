import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser, type TestUser } from './accounts.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from './deployments-harness.ts';

/**
 * The credential vault's done-when canary: plant secret values through every way one enters Hangar (team
 * credential, user credential, inline deployment secret, a replaced value, the SMTP password setting),
 * deploy with them on the fake Fly until running, then search every HTTP response, every log line, every
 * audit entry and every column of every table for the plaintexts. Only the fake Fly's app secrets (where a
 * machine's secrets belong) and the booted machine's environment may hold them.
 */

let world: DeploymentWorld;
let admin: TestUser;
/** Status, headers and body of every response the test received. */
const responses: string[] = [];

beforeAll(async () => {
  world = await createDeploymentWorld();
  admin = await signUpUser(world.hangar, { globalAdmin: true });
});
afterAll(async () => {
  await world.close();
});

/** A canary with characters that change under URL and JSON encoding, so each form can be searched. */
const canary = (label: string) => `${label}-canary/${randomBytes(9).toString('base64url')}+"q"=`;

async function call(path: string, method: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await world.hangar.request(path, jsonInit(method, headers, body));
  const text = await res.text();
  responses.push(`${res.status}\n${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`);
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

/** Every row of every table in the Hangar schema, as JSON text (all columns). */
async function dumpDatabase(): Promise<{ tables: string[]; text: string }> {
  const { pool } = world.hangar.services;
  const { rows } = await pool.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`);
  const parts: string[] = [];
  for (const { name } of rows) {
    const dump = await pool.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM "${name.replace(/"/g, '""')}" t`);
    parts.push(`== ${name}\n${dump.rows.map((r) => r.j).join('\n')}`);
  }
  return { tables: rows.map((r) => r.name), text: parts.join('\n') };
}

/** The forms a plaintext could take in stored or logged text. */
function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')])];
}

describe('secret canaries', () => {
  it('are found in no response, log line, audit entry or database column; the machine gets them only as app secrets', async () => {
    const c = { team: canary('team'), user: canary('user'), inline: canary('inline'), replaced: canary('replaced'), smtp: canary('smtp'), rejected: canary('rejected') };
    const owner = world.owner;
    const teamCreds = `/v1/teams/${owner.team.id}/credentials`;

    expect((await call(teamCreds, 'POST', owner.keyHeaders, { name: 'CANARY_TEAM', value: c.team })).status).toBe(201);
    expect((await call('/v1/me/credentials', 'POST', owner.keyHeaders, { name: 'CANARY_USER', value: c.user })).status).toBe(201);
    expect((await call(teamCreds, 'POST', owner.keyHeaders, { name: 'CANARY_TEAM', value: c.team })).status).toBe(409);
    expect((await call(teamCreds, 'POST', owner.keyHeaders, { name: 'CANARY_BAD', value: `${c.rejected}\u0000` })).status).toBe(400);
    expect((await call('/v1/admin/settings', 'PUT', admin.keyHeaders, { smtpPassword: c.smtp })).status).toBe(200);
    // Refused deployments that carried an inline secret must not echo it either.
    expect((await call(`/v1/teams/${owner.team.id}/deployments`, 'POST', owner.keyHeaders, { name: 'bad', package: `npm:${TEST_PACKAGE}@1.1.0`, secrets: { 'BAD-NAME': { value: c.rejected } } })).status).toBe(400);
    expect((await call(`/v1/teams/${owner.team.id}/deployments`, 'POST', owner.keyHeaders, { name: 'bad', package: `npm:${TEST_PACKAGE}@1.1.0`, secrets: { MISSING: { credential: 'NO_SUCH' }, X: { value: c.rejected } } })).status).toBe(422);

    const created = await call(`/v1/teams/${owner.team.id}/deployments`, 'POST', { ...owner.keyHeaders, 'idempotency-key': 'canary-deploy-1' }, {
      name: 'canary',
      package: `npm:${TEST_PACKAGE}@1.1.0`,
      env: { LOG_LEVEL: 'debug' },
      secrets: { TEAM_SECRET: { credential: 'CANARY_TEAM' }, USER_SECRET: { credential: 'CANARY_USER' }, INLINE_SECRET: { value: c.inline } },
    });
    expect(created.status).toBe(202);
    const id = (created.json as { id: string }).id;
    const appName = `hangar-${owner.team.id.replace(/_/g, '-')}`;
    const running = async () => ((await call(`/v1/deployments/${id}`, 'GET', owner.keyHeaders)).json as { state: string }).state === 'running';
    await world.settle(running);

    // A value replaced while running, then a redeploy that launches with it.
    expect((await call(`${teamCreds}/CANARY_TEAM`, 'PUT', owner.keyHeaders, { value: c.replaced })).status).toBe(200);
    expect((await call(`/v1/deployments/${id}`, 'PATCH', owner.keyHeaders, { args: [] })).status).toBe(202);
    await world.settle(async () => world.fly.machines(appName)[0]?.config.metadata?.hangar_generation === '2' && (await running()));
    for (const path of [teamCreds, '/v1/me/credentials', `/v1/deployments/${id}`, `/v1/deployments/${id}/events`, `/v1/teams/${owner.team.id}/deployments`, `/v1/teams/${owner.team.id}/audit`, '/v1/me/export']) {
      expect((await call(path, 'GET', owner.keyHeaders)).status).toBe(200);
    }
    expect((await call('/v1/admin/settings', 'GET', admin.keyHeaders)).status).toBe(200);
    expect((await call('/v1/admin/audit', 'GET', admin.keyHeaders)).status).toBe(200);

    // The machine has them, as Fly app secrets mapped into its environment, never in its config.
    const machine = world.fly.machines(appName)[0]!;
    expect(machine.bootEnv).toMatchObject({ TEAM_SECRET: c.replaced, USER_SECRET: c.user, INLINE_SECRET: c.inline });
    expect(Object.values(world.fly.secrets(appName))).toEqual(expect.arrayContaining([c.replaced, c.user, c.inline]));
    const runnerToken = machine.bootEnv?.HANGAR_RUNNER_TOKEN ?? '';
    expect(runnerToken).toMatch(/^hrt_/);
    const machineText = JSON.stringify({ config: machine.config, metadata: machine.config.metadata, env: machine.config.env, events: machine.events });

    const db = await dumpDatabase();
    expect(db.tables).toEqual(expect.arrayContaining(['credentials', 'settings', 'audit_log', 'deployments', 'deployment_events', 'idempotency_records']));
    // The dump really covers the stored secrets: their names and key ids are there, as ciphertext rows.
    expect(db.text).toContain('"name":"CANARY_TEAM"');
    expect(db.text).toContain('"key":"smtp.password"');
    const audit = JSON.stringify(await world.hangar.services.db.auditEntry.findMany(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(audit).toContain('credential.update');
    const logs = world.hangar.logs.text();
    expect(logs).toContain(`"path":"/v1/deployments/${id}"`);
    const http = responses.join('\n');
    expect(http).toContain('"value":"*****"');

    const places = { http, logs, audit, database: db.text, machineConfig: machineText };
    const found: string[] = [];
    for (const [label, secret] of Object.entries({ ...c, runnerToken })) {
      for (const form of forms(secret)) {
        for (const [where, text] of Object.entries(places)) if (text.includes(form)) found.push(`${label} (${form}) in ${where}`);
      }
    }
    expect(found).toEqual([]);
  });
});
