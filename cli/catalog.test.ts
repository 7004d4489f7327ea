import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, signUpUser, type TestUser } from '../test/accounts.ts';
import { TEST_PACKAGE } from '../test/deployments-harness.ts';
import { createCliHome, finish, runHangar, runOnPty, serveDeploymentWorld, spawnHangar, type ServedWorld } from './test-harness.ts';

/**
 * `hangar catalog ls|show|set` and `hangar deploy <template>` through the real binary against a served Hangar
 * (real PostgreSQL; fake Fly and npm), with templates a global admin adds for the fake npm package.
 */

let served: ServedWorld;
let owner: TestUser;
let team: string;
const cli = createCliHome();
const secret = `canary-token-${Math.random().toString(36).slice(2)}-never-print`;
const run = (args: string[], input?: string) => runHangar(args, { ...cli, env: { HANGAR_URL: served.url, HANGAR_API_KEY: owner.apiKey }, input });

async function asAdmin(admin: TestUser, method: string, path: string, body?: unknown): Promise<number> {
  const res = await served.world.hangar.request(path, jsonInit(method, admin.keyHeaders, body));
  await res.text();
  return res.status;
}

const templateBody = (slug: string, prefix: string, teamRequired: boolean) => ({
  slug,
  name: `Tools ${slug}`,
  description: 'The fake npm MCP server',
  package: `npm:${TEST_PACKAGE}@^1.0.0`,
  fields: [
    { name: `${prefix}_TOKEN`, type: 'secret', required: true, description: 'API token', tier: 'user' },
    { name: `${prefix}_REGION`, type: 'string', required: teamRequired, description: 'Region', tier: 'team' },
    { name: `${prefix}_VERBOSE`, type: 'boolean', required: false, default: false, description: 'Verbose logs', tier: 'user' },
  ],
});

const db = () => served.world.hangar.services.db;
const deploymentNamed = (name: string) => db().deployment.findFirstOrThrow({ where: { name, teamId: team } });

beforeAll(async () => {
  served = await serveDeploymentWorld();
  owner = served.world.owner;
  team = owner.team.id;
  const admin = await signUpUser(served.world.hangar, { verified: true, globalAdmin: true });
  expect(await asAdmin(admin, 'POST', '/v1/templates', templateBody('tools', 'TOOLS', true))).toBe(201);
  expect(await asAdmin(admin, 'POST', '/v1/templates', templateBody('solo', 'SOLO', false))).toBe(201);
  expect(await asAdmin(admin, 'POST', '/v1/templates', templateBody('old-tools', 'OLD', false))).toBe(201);
  expect(await asAdmin(admin, 'DELETE', '/v1/templates/old-tools')).toBe(204);
});
afterAll(async () => {
  await served.close();
  cli.dispose();
});

describe('catalog ls and show', () => {
  it('lists templates with their required fields; retired ones only with --retired', async () => {
    const res = await run(['catalog', 'ls']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^SLUG\s+NAME\s+PACKAGE\s+REQUIRED FIELDS$/m);
    expect(res.stdout).toMatch(new RegExp(`^tools\\s+Tools tools\\s+npm:${TEST_PACKAGE}@\\^1\\.0\\.0\\s+TOOLS_TOKEN,TOOLS_REGION$`, 'm'));
    expect(res.stdout).toMatch(/^everything\s+/m);
    expect(res.stdout).not.toContain('old-tools');
    const all = JSON.parse((await run(['catalog', 'ls', '--retired', '--json'])).stdout) as Array<{ slug: string; retired: boolean }>;
    expect(all).toEqual(expect.arrayContaining([expect.objectContaining({ slug: 'old-tools', retired: true }), expect.objectContaining({ slug: 'tools', retired: false })]));
    expect((await run(['catalog', 'ls', '--retired'])).stdout).toMatch(/^old-tools\s+.*\s+retired$/m);
  });

  it('shows each field with its tier, default and where its value would come from', async () => {
    const res = await run(['catalog', 'show', 'tools', '--team', team, '--json']);
    expect(res.code).toBe(0);
    const shown = JSON.parse(res.stdout) as { template: { slug: string }; team: string; fields: unknown[] };
    expect(shown.template.slug).toBe('tools');
    expect(shown.team).toBe(team);
    expect(shown.fields).toEqual([
      { name: 'TOOLS_TOKEN', type: 'secret', tier: 'user', required: true, description: 'API token', default: null, teamValue: null, userValue: null, locked: false, effective: null },
      { name: 'TOOLS_REGION', type: 'string', tier: 'team', required: true, description: 'Region', default: null, teamValue: null, userValue: null, locked: false, effective: null },
      { name: 'TOOLS_VERBOSE', type: 'boolean', tier: 'user', required: false, description: 'Verbose logs', default: false, teamValue: null, userValue: null, locked: false, effective: 'template' },
    ]);
    const text = await run(['catalog', 'show', 'tools', '--team', team]);
    expect(text.stdout).toMatch(/^FIELD\s+TYPE\s+TIER\s+REQUIRED\s+DEFAULT\s+TEAM\s+YOURS\s+LOCKED\s+FROM$/m);
    expect(text.stdout).toMatch(/^TOOLS_TOKEN\s+secret\s+user\s+yes\s+-\s+-\s+-\s+-\s+missing$/m);
    expect(text.stdout).toMatch(/^TOOLS_VERBOSE\s+boolean\s+user\s+no\s+false\s+-\s+-\s+-\s+template$/m);
  });

  it('exits 3 for a template that does not exist, for show, set and deploy', async () => {
    for (const args of [['catalog', 'show', 'no-such'], ['catalog', 'set', 'no-such', 'X=1'], ['deploy', 'no-such']]) {
      const res = await run(args);
      expect(res.code, args.join(' ')).toBe(3);
      expect(res.stderr).toMatch(/^error: .*\(\w+, request req_\w+\)$/m);
    }
    expect((await run(['deploy', 'Not_A_Slug'])).code).toBe(2);
  });
});

describe('catalog set', () => {
  it('sets and locks a team value', async () => {
    const res = await run(['catalog', 'set', 'tools', 'TOOLS_REGION=eu', '--lock', 'TOOLS_REGION', '--team', team]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Set TOOLS_REGION for tools in team ${team}`);
    expect(res.stdout).toContain(`Locked TOOLS_REGION for tools in team ${team}`);
    const row = await db().templateValue.findFirstOrThrow({ where: { scope: 'team', ownerId: team, field: 'TOOLS_REGION' } });
    expect(row).toMatchObject({ value: 'eu', locked: true });
    expect((await run(['catalog', 'set', 'tools', '--lock', 'TOOLS_REGION', '--user'])).code).toBe(2);
    expect((await run(['catalog', 'set', 'tools', 'NOPE=1', '--user'])).code).toBe(2);
  });

  it('takes a secret from stdin only: never from argv, never shown', async () => {
    const refused = await run(['catalog', 'set', 'tools', 'TOOLS_TOKEN=inline-value-xyz', '--user']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('TOOLS_TOKEN is a secret and is never taken from the command line');
    expect(refused.stderr).not.toContain('inline-value-xyz');
    expect(await db().templateValue.count({ where: { field: 'TOOLS_TOKEN' } })).toBe(0);

    const child = spawnHangar(['catalog', 'set', 'tools', 'TOOLS_TOKEN', '-', '--user'], { ...cli, env: { HANGAR_URL: served.url, HANGAR_API_KEY: owner.apiKey } });
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    const res = await finish(child, `${secret}\n`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('✓ Set TOOLS_TOKEN for tools in your values\n');
    expect(cmdline).not.toContain(secret);
    const row = await db().templateValue.findFirstOrThrow({ where: { scope: 'user', ownerId: owner.user.id, field: 'TOOLS_TOKEN' } });
    expect(row.ciphertext).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(served.world.hangar.services.vault.decrypt({ ciphertext: row.ciphertext!, keyId: row.keyId! })).toBe(secret);

    const shown = await run(['catalog', 'show', 'tools', '--team', team]);
    expect(shown.stdout).toMatch(/^TOOLS_TOKEN\s+secret\s+user\s+yes\s+-\s+-\s+\*{5}\s+-\s+user$/m);
    expect(shown.stdout).toMatch(/^TOOLS_REGION\s+string\s+team\s+yes\s+-\s+eu\s+-\s+yes\s+team$/m);
    const json = await run(['catalog', 'show', 'tools', '--team', team, '--json']);
    expect(JSON.parse(json.stdout).fields[0]).toMatchObject({ userValue: '*****', effective: 'user' });
    for (const out of [shown.stdout, json.stdout]) expect(out).not.toContain(secret);
  });

  it('clears and unlocks', async () => {
    const res = await run(['catalog', 'set', 'tools', '--clear', 'TOOLS_TOKEN', '--user']);
    expect(res.stdout).toContain('Cleared TOOLS_TOKEN for tools in your values');
    expect(await db().templateValue.count({ where: { scope: 'user', field: 'TOOLS_TOKEN' } })).toBe(0);
    expect((await run(['catalog', 'set', 'tools', '--unlock', 'TOOLS_REGION', '--team', team])).stdout).toContain('Unlocked TOOLS_REGION');
    expect(await db().templateValue.findFirstOrThrow({ where: { scope: 'team', field: 'TOOLS_REGION' } })).toMatchObject({ locked: false });
    expect((await run(['catalog', 'set', 'tools', '--clear', 'TOOLS_REGION', '--team', team])).code).toBe(0);
    expect((await run(['catalog', 'set', 'tools'])).code).toBe(2);
  });
});

describe('deploy from a template', () => {
  it('asks for the secret on a terminal without echoing it, deploys, and follows it until it runs', async () => {
    const running = runOnPty(['deploy', 'solo', '--name', 'solo-one', '--team', team, '--interval', '100', '--timeout', '60', '--no-mcp-key'], { ...cli, env: { HANGAR_URL: served.url, HANGAR_API_KEY: owner.apiKey, NO_COLOR: '1' } }, { 'empty to set it later: ': secret });
    await served.world.settle(async () => (await db().deployment.findFirst({ where: { name: 'solo-one' } }))?.state === 'running', 120);
    const res = await running;
    expect(res.stdout).toContain('SOLO_TOKEN (API token), hidden; empty to set it later: ');
    expect(res.stdout).toMatch(/Deploying solo-one \(dep_\w+\)/);
    expect(res.stdout).toContain(`✓ solo-one is running (npm:${TEST_PACKAGE}@1.1.0)`);
    expect(res.stdout).not.toContain(secret);
    expect(res.code).toBe(0);
    const dep = await deploymentNamed('solo-one');
    expect(dep.templateSlug).toBe('solo');
    const machine = served.world.fly.machines(served.world.appOf(team)).find((m) => m.config.metadata?.hangar_deployment === dep.id);
    expect(machine?.bootEnv).toMatchObject({ SOLO_TOKEN: secret, SOLO_VERBOSE: 'false' });
  });

  it('names the team fields an admin must set, creates the deployment waiting, and does not wait for it', async () => {
    const res = await run(['deploy', 'tools', '--name', 'tools-wait', '--team', team, '--set', 'TOOLS_VERBOSE=true'], `${secret}\n`);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`! TOOLS_REGION must be set by a team admin: hangar catalog set tools TOOLS_REGION=<string> --team ${team}`);
    expect(res.stdout).toMatch(/tools-wait \(dep_\w+\) is waiting for configuration; missing: TOOLS_REGION$/m);
    expect(res.stdout).toContain(`  hangar catalog set tools TOOLS_REGION=<string> --team ${team}\n`);
    expect(res.stderr).toContain('TOOLS_TOKEN (API token), hidden; empty to set it later: ');
    for (const out of [res.stdout, res.stderr]) expect(out).not.toContain(secret);
    const dep = await deploymentNamed('tools-wait');
    expect(dep).toMatchObject({ state: 'awaiting_config', missingFields: ['TOOLS_REGION'] });
    // Running the printed command completes it: the deployment leaves awaiting_config by itself.
    expect((await run(['catalog', 'set', 'tools', 'TOOLS_REGION=eu', '--team', team])).code).toBe(0);
    expect(await deploymentNamed('tools-wait')).toMatchObject({ state: 'awaiting_config', missingFields: [] });
    await served.world.settle(async () => (await deploymentNamed('tools-wait')).state === 'running');
  });

  it('prints JSON for a waiting deployment and refuses secrets and team fields in --set', async () => {
    expect((await run(['catalog', 'set', 'tools', '--clear', 'TOOLS_REGION', '--team', team])).code).toBe(0);
    const res = await run(['deploy', 'tools', '--name', 'tools-json', '--team', team, '--json'], '\n');
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout) as { template: { slug: string }; deployment: { state: string; missingFields: string[] } };
    expect(body.template.slug).toBe('tools');
    expect(body.deployment).toMatchObject({ state: 'awaiting_config', missingFields: ['TOOLS_TOKEN', 'TOOLS_REGION'] });
    const inline = await run(['deploy', 'tools', '--set', 'TOOLS_TOKEN=inline-value-xyz']);
    expect(inline.code).toBe(2);
    expect(inline.stderr).not.toContain('inline-value-xyz');
    expect((await run(['deploy', 'tools', '--set', 'TOOLS_REGION=eu'])).code).toBe(2);
    expect((await run(['deploy', 'tools', '--env', 'A=b'])).code).toBe(2);
    expect((await run(['deploy', `npm:${TEST_PACKAGE}`, '--set', 'A=b'])).code).toBe(2);
  });
});
