import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpUser, type TestUser } from '../test/accounts.ts';
import { TEST_PACKAGE } from '../test/deployments-harness.ts';
import { createCliHome, runHangar, runOnPty, serveDeploymentWorld, type CliResult, type ServedWorld } from './test-harness.ts';

/** Keys, teams, admin, API-key login and terminal behaviour (hidden input, colours) through the real binary. */

let served: ServedWorld;
let owner: TestUser;
const cli = createCliHome();
const run = (args: string[], env: Record<string, string> = {}, input?: string) => runHangar(args, { ...cli, env: { HANGAR_URL: served.url, ...env }, input });
const asOwner = (args: string[], env: Record<string, string> = {}) => run(args, { HANGAR_API_KEY: owner.apiKey, ...env });

beforeAll(async () => {
  served = await serveDeploymentWorld();
  owner = served.world.owner;
});
afterAll(async () => {
  await served.close();
  cli.dispose();
});

/** Runs the CLI on a pseudo-terminal as this file's user, answering `answers[prompt]` when a prompt appears. */
const runOnTerminal = (args: string[], env: Record<string, string>, answers: Record<string, string> = {}): Promise<CliResult> =>
  runOnPty(args, { ...cli, env: { HANGAR_URL: served.url, ...env } }, answers);

describe('login on a terminal', () => {
  it('never echoes the password typed at the hidden prompt', async () => {
    const res = await runOnTerminal(['login', '--email', owner.user.email], {}, { 'Password: ': owner.password });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Password: ');
    expect(res.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toContain(`as ${owner.user.email}`);
    expect(res.stdout).not.toContain(owner.password);
    expect(readFileSync(cli.configFile, 'utf8')).not.toContain(owner.password);
    expect((await run(['logout'])).code).toBe(0);
  });

  it('colours output on a terminal, but not with NO_COLOR', async () => {
    const coloured = await runOnTerminal(['teams', 'ls'], { HANGAR_API_KEY: owner.apiKey });
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toMatch(/\x1b\[1m\s*SLUG/);
    const plain = await runOnTerminal(['teams', 'ls'], { HANGAR_API_KEY: owner.apiKey, NO_COLOR: '1' });
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toMatch(/\x1b\[/);
    expect(plain.stdout).toContain(owner.team.slug);
  });

  it('rm asks on a terminal: "n" keeps the deployment, "y" deletes it', async () => {
    const res = await served.world.deploy(owner, { name: 'keepme', package: `npm:${TEST_PACKAGE}@1.1.0` });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const desired = async () => (await served.world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } })).desiredState;
    const kept = await runOnTerminal(['rm', 'keepme'], { HANGAR_API_KEY: owner.apiKey }, { '[y/N] ': 'n' });
    expect(kept.stdout).toContain(`Delete keepme (${id})?`);
    expect(kept.stdout).toContain('Not deleted.');
    expect(kept.code).toBe(1);
    expect(await desired()).toBe('running');
    const removed = await runOnTerminal(['rm', 'keepme'], { HANGAR_API_KEY: owner.apiKey }, { '[y/N] ': 'y' });
    expect(removed.code).toBe(0);
    expect(await desired()).toBe('deleted');
  });
});

describe('login with an API key', () => {
  it('reads the key from stdin with --api-key -, stores it and its id', async () => {
    const res = await run(['login', '--api-key', '-'], {}, `${owner.apiKey}\n`);
    expect(res.code).toBe(0);
    expect(JSON.parse(readFileSync(cli.configFile, 'utf8'))).toMatchObject({ apiKey: owner.apiKey, keyId: owner.apiKeyId, email: owner.user.email });
    const keys = await run(['keys', 'ls']);
    expect(keys.stdout).toMatch(new RegExp(`^\\*\\s+${owner.apiKeyId}\\s+test`, 'm'));
  });

  it('refuses an invalid key with exit 4', async () => {
    const res = await run(['login', '--api-key', 'hgr_notarealkey0000000000000000000']);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/request req_\w+/);
  });

  it('HANGAR_API_KEY overrides the stored key', async () => {
    const other = await signUpUser(served.world.hangar, { verified: true });
    const who = await run(['whoami', '--json'], { HANGAR_API_KEY: other.apiKey });
    expect(JSON.parse(who.stdout)).toMatchObject({ email: other.user.email });
  });
});

describe('keys', () => {
  it('creates, rotates and revokes keys', async () => {
    const created = await asOwner(['keys', 'create', '--name', 'ci', '--scope', 'read', '--json']);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; scopes: string[] };
    expect(key).toMatchObject({ scopes: ['read'] });
    expect(key.key).toMatch(/^hgr_/);
    const rotated = await asOwner(['keys', 'rotate', key.id, '--grace', '0', '--json']);
    const next = JSON.parse(rotated.stdout) as { id: string; key: string };
    expect(next.id).not.toBe(key.id);
    expect((await run(['whoami'], { HANGAR_API_KEY: next.key })).code).toBe(0);
    expect((await asOwner(['keys', 'revoke', next.id])).code).toBe(0);
    expect((await run(['whoami'], { HANGAR_API_KEY: next.key })).code).toBe(4);
    expect((await asOwner(['keys', 'create', '--name', 'x', '--scope', 'root'])).code).toBe(2);
  });

  it('rotating the key the CLI uses stores the new one', async () => {
    const session = createCliHome();
    try {
      const created = JSON.parse((await asOwner(['keys', 'create', '--name', 'self', '--scope', 'read', '--scope', 'write', '--json'])).stdout) as { id: string; key: string };
      const mine = (args: string[], input?: string) => runHangar(args, { ...session, env: { HANGAR_URL: served.url }, input });
      expect((await mine(['login', '--api-key', '-'], created.key)).code).toBe(0);
      const res = await mine(['keys', 'rotate', created.id, '--grace', '0']);
      expect(res.stdout).toContain('This CLI now uses the new key');
      const stored = JSON.parse(readFileSync(session.configFile, 'utf8')) as { apiKey: string; keyId: string };
      expect(stored.keyId).not.toBe(created.id);
      expect((await mine(['whoami'])).code).toBe(0);
    } finally {
      session.dispose();
    }
  });
});

describe('teams', () => {
  it('creates a team, invites, lists members, and uses it as the default', async () => {
    const slug = `t-${Date.now().toString(36)}`;
    expect((await asOwner(['teams', 'create', 'Journey Team', '--slug', slug])).code).toBe(0);
    const invite = await asOwner(['teams', 'invite', 'friend@example.com', '--role', 'viewer', '--team', slug]);
    expect(invite.stdout).toMatch(/Invited friend@example.com as viewer \(inv_\w+/);
    const members = JSON.parse((await asOwner(['teams', 'members', '--team', slug, '--json'])).stdout) as Array<{ email: string; role: string }>;
    expect(members).toEqual([expect.objectContaining({ email: owner.user.email, role: 'owner' })]);
    expect((await asOwner(['teams', 'invite', 'x@example.com', '--role', 'owner', '--team', slug])).code).toBe(2);
    expect((await asOwner(['teams', 'members', '--team', 'no-such-team'])).code).toBe(3);
  });

  it('changes a role and removes a member by email', async () => {
    const friend = await signUpUser(served.world.hangar, { verified: true });
    const slug = `r-${Date.now().toString(36)}`;
    await asOwner(['teams', 'create', 'Roles', '--slug', slug]);
    const team = await served.world.hangar.services.db.team.findUniqueOrThrow({ where: { slug } });
    await served.world.hangar.services.db.membership.create({ data: { teamId: team.id, userId: friend.user.id, role: 'viewer' } });
    const role = await asOwner(['teams', 'role', friend.user.email, 'member', '--team', slug]);
    expect(role.stdout).toContain(`${friend.user.email} is now member`);
    expect((await asOwner(['teams', 'remove', friend.user.email, '--team', slug])).code).toBe(0);
    expect(await served.world.hangar.services.db.membership.count({ where: { teamId: team.id, userId: friend.user.id } })).toBe(0);
  });
});

describe('admin', () => {
  it('is refused to a non-admin with exit 4, and works for a global admin', async () => {
    const denied = await asOwner(['admin', 'users']);
    expect(denied.code).toBe(4);
    const admin = await signUpUser(served.world.hangar, { verified: true, globalAdmin: true });
    const users = await run(['admin', 'users', '--json'], { HANGAR_API_KEY: admin.apiKey });
    expect((JSON.parse(users.stdout) as Array<{ email: string }>).map((u) => u.email)).toContain(owner.user.email);
    const set = await run(['admin', 'settings', 'set', 'signupsEnabled=false'], { HANGAR_API_KEY: admin.apiKey });
    expect(set.stdout).toContain('signupsEnabled = false');
    const signup = await run(['signup', '--email', 'late@example.com'], {}, 'Late-pass-93kd0aQ\n');
    expect(signup.code).toBe(4);
    await run(['admin', 'settings', 'set', 'signupsEnabled=true'], { HANGAR_API_KEY: admin.apiKey });
  });
});
