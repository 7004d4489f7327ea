import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PACKAGE } from '../test/deployments-harness.ts';
import { createCliHome, finish, runHangar, serveDeploymentWorld, spawnHangar, type ServedWorld } from './test-harness.ts';

/**
 * The whole user journey through the real `hangar` binary (a subprocess) against a real Hangar served over
 * HTTP on 127.0.0.1 (real PostgreSQL, fake Fly and npm speaking their wire protocols): sign up, log out, log
 * in, store a secret from stdin, deploy and follow, list, inspect, stop, remove, log out.
 */

let served: ServedWorld;
const cli = createCliHome();
const email = `journey-${Date.now()}@example.com`;
const password = 'Journey-pass-9f3k2LmQ';
const secretValue = `canary-secret-${Math.random().toString(36).slice(2)}-do-not-print`;
const run = (args: string[], input?: string, env: Record<string, string> = {}) => runHangar(args, { ...cli, env: { HANGAR_URL: served.url, ...env }, input });
const stored = () => JSON.parse(readFileSync(cli.configFile, 'utf8')) as Record<string, string>;

beforeAll(async () => {
  served = await serveDeploymentWorld();
});
afterAll(async () => {
  await served.close();
  cli.dispose();
});

async function deploymentByName(name: string) {
  return served.world.hangar.services.db.deployment.findFirst({ where: { name }, orderBy: { createdAt: 'desc' } });
}

describe('hangar CLI journey', () => {
  let deploymentId = '';

  it('signs up with a piped password and stores an API key (never the password) with mode 0600', async () => {
    const res = await run(['signup', '--email', email], `${password}\n`);
    expect(res.stderr).not.toContain('error');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Logged in to ${served.url} as ${email}`);
    expect(statSync(cli.configFile).mode & 0o777).toBe(0o600);
    const config = stored();
    expect(config.apiKey).toMatch(/^hgr_/);
    expect(config).toMatchObject({ url: served.url, email });
    expect(readFileSync(cli.configFile, 'utf8')).not.toContain(password);
    // The session used to make the key is over: only the key remains.
    const { db } = served.world.hangar.services;
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(await db.session.count({ where: { userId: user.id } })).toBe(0);
    // Fixture: verify the address (deploying needs a verified email), as the emailed link would.
    await db.user.update({ where: { id: user.id }, data: { emailVerifiedAt: new Date() } });
  });

  it('logs out by revoking the stored key', async () => {
    const keyId = stored().keyId;
    const res = await run(['logout']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('API key revoked');
    const key = await served.world.hangar.services.db.apiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(key.revokedAt).not.toBeNull();
    expect(stored().apiKey).toBeUndefined();
    const who = await run(['whoami']);
    expect(who.code).toBe(4);
    expect(who.stderr).toContain('Not logged in');
  });

  it('refuses a wrong password with exit 4, the API message and its request id', async () => {
    const res = await run(['login', '--email', email], 'wrong-password\n');
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^error: .+ \(\w+, request req_\w+\)/m);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('logs in with email and password from stdin', async () => {
    const res = await run(['login'], `${email}\n${password}\n`);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`as ${email}`);
    const who = await run(['whoami', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ email, url: served.url, emailVerified: true });
  });

  it('stores a secret read from stdin: never in argv, the process environment, any output or the logs', async () => {
    const child = spawnHangar(['secrets', 'set', 'GITHUB_TOKEN', '-'], { ...cli, env: { HANGAR_URL: served.url } });
    // The child is alive (waiting for stdin): read what the process list shows of it.
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline.some((a) => a.endsWith('hangar.js'))).toBe(true);
    const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8');
    const res = await finish(child, `${secretValue}\n`);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Stored GITHUB_TOKEN in team team_\w+/);
    expect(cmdline.join(' ')).not.toContain(secretValue);
    expect(environ).not.toContain(secretValue);
    const list = await run(['secrets', 'ls']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/GITHUB_TOKEN\s+\*{5}\s+team/);
    const listJson = await run(['secrets', 'ls', '--json']);
    expect(JSON.parse(listJson.stdout)).toEqual([expect.objectContaining({ name: 'GITHUB_TOKEN', value: '*****' })]);
    for (const out of [res.stdout, res.stderr, list.stdout, listJson.stdout]) expect(out).not.toContain(secretValue);
    // Stored as the exact value (one trailing newline stripped), encrypted.
    const row = await served.world.hangar.services.db.credential.findFirstOrThrow({ where: { name: 'GITHUB_TOKEN' } });
    expect(served.world.hangar.services.vault.decrypt({ ciphertext: row.ciphertext, keyId: row.keyId })).toBe(secretValue);
    expect(served.world.hangar.logs.text()).not.toContain(secretValue);
  });

  it('deploys: shows the verdict, follows the states until running, prints the endpoint and client configs', async () => {
    const child = spawnHangar(['deploy', `npm:${TEST_PACKAGE}@^1.0.0`, '--name', 'tools', '--secret', 'API_TOKEN=GITHUB_TOKEN', '--env', 'LOG_LEVEL=debug', '--interval', '100', '--timeout', '60'], {
      ...cli,
      env: { HANGAR_URL: served.url },
    });
    const result = finish(child);
    // Drive the reconciler while the CLI follows.
    await served.world.settle(async () => (await deploymentByName('tools'))?.state === 'running', 120);
    const res = await result;
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const dep = await deploymentByName('tools');
    deploymentId = dep?.id ?? '';
    const mcpUrl = `${served.url}/v1/deployments/${deploymentId}/mcp`;
    expect(res.stdout).toContain(`npm:${TEST_PACKAGE}@1.1.0 admitted`);
    expect(res.stdout).toContain(`Deploying tools (${deploymentId})`);
    expect(res.stdout).toMatch(/(provisioning|starting) → running/);
    expect(res.stdout).toContain('tools is running');
    expect(res.stdout).toContain(`MCP endpoint: ${mcpUrl}`);
    const token = res.stdout.match(/"Authorization": "Bearer (hgr_\w+)"/)?.[1];
    expect(token).toBeDefined();
    expect(res.stdout).toContain(`"HANGAR_AUTH": "Bearer ${token}"`);
    expect(res.stdout).toContain(`"url": "${mcpUrl}"`);
    // The snippet's key may only make MCP calls, on this team.
    const key = await served.world.hangar.services.db.apiKey.findFirstOrThrow({ where: { name: 'mcp:tools' } });
    expect(key).toMatchObject({ scopes: ['mcp'], teamId: dep?.teamId });
    expect(res.stdout).not.toContain(secretValue);
  });

  it('lists, shows and reads the events of the deployment', async () => {
    const ls = await run(['ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^tools\\s+running\\s+npm:${TEST_PACKAGE.replace('/', '\\/')}@1.1.0`, 'm'));
    expect(ls.stdout).not.toMatch(/\x1b\[/);
    const lsJson = JSON.parse((await run(['ls', '--json'])).stdout) as Array<{ id: string; state: string }>;
    expect(lsJson).toEqual([expect.objectContaining({ id: deploymentId, state: 'running' })]);

    const status = await run(['status', 'tools']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/state\s+running/);
    expect(status.stdout).toMatch(/secrets\s+API_TOKEN/);
    const statusJson = JSON.parse((await run(['status', deploymentId, '--json'])).stdout) as { name: string; env: Record<string, string> };
    expect(statusJson).toMatchObject({ name: 'tools', env: { LOG_LEVEL: 'debug' } });

    const events = JSON.parse((await run(['events', 'tools', '--json'])).stdout) as Array<{ toState: string | null }>;
    expect(events.map((e) => e.toState)).toContain('running');
    expect((await run(['events', deploymentId])).stdout).toMatch(/→ running/);
  });

  it('answers exit 3 for a deployment that does not exist', async () => {
    const byName = await run(['status', 'nope']);
    expect(byName.code).toBe(3);
    const byId = await run(['status', 'dep_0000000000000000']);
    expect(byId.code).toBe(3);
    expect(byId.stderr).toMatch(/request req_\w+/);
  });

  it('restart --wait waits for the restart itself, not the running state it already saw', async () => {
    const before = (await deploymentByName('tools'))!;
    expect(before.state).toBe('running');
    const child = spawnHangar(['restart', 'tools', '--wait', '--interval', '50', '--timeout', '60'], { ...cli, env: { HANGAR_URL: served.url } });
    const done = finish(child);
    let exited = false;
    void done.then(() => (exited = true));
    // The request lands; no reconciler pass yet, so the deployment still reads `running` for many polls
    // (every 50 ms), and the wait must not end on it.
    for (let i = 0; i < 600 && !(await deploymentByName('tools'))?.restartRequestedAt; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await deploymentByName('tools'))?.restartRequestedAt).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(exited).toBe(false);
    expect((await deploymentByName('tools'))?.state).toBe('running');
    await served.world.settle(async () => exited);
    const res = await done;
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Restarting tools');
    expect(res.stdout).toMatch(/restart/i);
    expect(res.stdout).toMatch(/tools is running$/m);
    const after = (await deploymentByName('tools'))!;
    expect(after.restartRequestedAt).toBeNull();
    const restarts = await served.world.hangar.services.db.deploymentEvent.count({ where: { deploymentId: after.id, type: 'restarted' } });
    expect(restarts).toBe(1);
  });

  it('stops the deployment', async () => {
    const res = await run(['stop', 'tools']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Stopping tools');
    await served.world.settle(async () => (await deploymentByName('tools'))?.state === 'stopped');
    expect(JSON.parse((await run(['status', 'tools', '--json'])).stdout)).toMatchObject({ state: 'stopped', desiredState: 'stopped' });
  });

  it('rm asks for confirmation: without a terminal it needs --yes', async () => {
    const refused = await run(['rm', 'tools']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await deploymentByName('tools'))?.desiredState).toBe('stopped');
    const res = await run(['rm', 'tools', '--yes']);
    expect(res.code).toBe(0);
    expect((await deploymentByName('tools'))?.desiredState).toBe('deleted');
  });

  it('logs out', async () => {
    const res = await run(['logout']);
    expect(res.code).toBe(0);
    expect((await run(['ls'])).code).toBe(4);
  });
});
