import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, EVERYTHING, firstText, waitFor } from '../../runner/test-support.ts';
import { createLogger } from '../platform/logger.ts';
import { DriverError, type LaunchPlan, type TenantHome } from './driver.ts';
import { LocalMachineDriver } from './local-driver.ts';
import { deploymentSecretName } from './machine-config.ts';

const tokenSecret = (deploymentId: string) => ({ [deploymentSecretName(deploymentId, 'HANGAR_RUNNER_TOKEN')]: TOKEN });

const TOKEN = 'local-driver-token-0123456789abcdef';
const CANARY = 'canary-api-key-5e1f0c7b9d';

function planFor(deploymentId: string, overrides: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    deploymentId,
    teamId: 'team_1',
    generation: 3,
    machineName: `dep-${deploymentId}`,
    region: 'local',
    runtime: 'npm',
    packageRef: '@modelcontextprotocol/server-everything@2026.8.31',
    args: [],
    env: { GREETING: 'hello' },
    secretNames: ['API_KEY'],
    guest: { cpuKind: 'shared', cpus: 1, memoryMb: 256 },
    minSecretsVersion: undefined,
    ...overrides,
  };
}

describe('LocalMachineDriver', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-local-driver-'));
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({ write: (chunk: Buffer, _e, done) => void (lines.push(chunk.toString()), done()) }),
  });
  const driver = new LocalMachineDriver({
    dataDir,
    logger,
    healthIntervalMs: 100,
    serverCommand: (plan) => [process.execPath, EVERYTHING, 'stdio', ...plan.args],
    // The fixture server lives in the repo's node_modules, which no sandbox sees; the sandbox has its own tests.
    sandbox: false,
  });
  let home: TenantHome;

  beforeAll(async () => {
    process.env.HANGAR_API_ONLY_MARKER = 'must-not-reach-machines';
    home = await driver.ensureTenant('team_1');
    await driver.setSecrets(home, { ...tokenSecret('dep_a'), [deploymentSecretName('dep_a', 'API_KEY')]: CANARY });
  });
  afterAll(async () => {
    await driver.close();
    delete process.env.HANGAR_API_ONLY_MARKER;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const machineState = async (id: string) => (await driver.getMachine(home, id))?.state;
  const passing = async (id: string) => {
    const m = await driver.getMachine(home, id);
    return m?.state === 'started' && m.checks[0]?.status === 'passing';
  };

  it('runs a machine that serves MCP with the token, a clean environment and no secret in logs', async () => {
    expect(await driver.ensureTenant('team_1')).toEqual({ appName: 'local-team_1', network: 'loopback' });
    const created = await driver.createMachine(home, planFor('dep_a'));
    expect(created.state).toBe('starting');
    await waitFor(() => passing(created.id), 15_000);
    const status = await driver.getMachine(home, created.id);
    expect(status).toMatchObject({ name: 'dep-dep_a', version: '1', deploymentId: 'dep_a', generation: 3, lastExit: undefined });
    expect(status?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await driver.listMachines(home)).map((m) => m.id)).toEqual([created.id]);

    const { client } = await connectClient(status?.endpoint ?? '', TOKEN);
    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'via local' } }))).toBe('Echo: via local');
    const env = JSON.parse(firstText(await client.callTool({ name: 'get-env', arguments: {} }))) as Record<string, string>;
    const dir = join(dataDir, 'machines', 'dep_a');
    expect(env).toEqual({
      PATH: expect.any(String),
      HOME: join(dir, 'home'),
      TMPDIR: join(dir, 'tmp'),
      LANG: 'C.UTF-8',
      npm_config_cache: join(dataDir, 'npm-cache'),
      npm_config_update_notifier: 'false',
      GREETING: 'hello',
      API_KEY: CANARY,
    });
    await client.close();
    expect((await fetch(`${status?.endpoint}/mcp`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect(lines.join('')).toContain('runner listening');
    expect(lines.join('')).not.toContain(CANARY);
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('reports a killed server as failed with its exit, and restart brings it back', async () => {
    const [machine] = await driver.listMachines(home);
    const started = lines.filter((l) => l.includes('mcp server started')).at(-1) ?? '';
    const pid = Number(/\\"pid\\":(\d+)/.exec(started)?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await machineState(machine?.id ?? '')) === 'failed', 10_000);
    const failed = await driver.getMachine(home, machine?.id ?? '');
    expect(failed).toMatchObject({ endpoint: undefined, lastExit: { exitCode: 137, oomKilled: false } });
    expect(failed?.checks[0]?.status).toBe('critical');

    await driver.restartMachine(home, machine?.id ?? '');
    await waitFor(() => passing(machine?.id ?? ''), 15_000);
    const endpoint = (await driver.getMachine(home, machine?.id ?? ''))?.endpoint ?? '';
    const { client } = await connectClient(endpoint, TOKEN);
    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'again' } }))).toBe('Echo: again');
    await client.close();
  });

  it('stops, starts, guards updates by version and destroys', async () => {
    const [machine] = await driver.listMachines(home);
    const id = machine?.id ?? '';
    await driver.stopMachine(home, id);
    expect(await driver.getMachine(home, id)).toMatchObject({ state: 'stopped', endpoint: undefined, lastExit: { exitCode: 0 } });
    await driver.startMachine(home, id);
    await waitFor(() => passing(id), 15_000);

    await expect(driver.updateMachine(home, id, '0', planFor('dep_a'))).rejects.toMatchObject({ kind: 'conflict' });
    const updated = await driver.updateMachine(home, id, '1', planFor('dep_a', { generation: 4 }));
    expect(updated).toMatchObject({ version: '2', generation: 4, state: 'starting' });
    await waitFor(() => passing(id), 15_000);

    await driver.destroyMachine(home, id);
    expect(await driver.getMachine(home, id)).toBeUndefined();
    expect(await driver.listMachines(home)).toEqual([]);
    expect(existsSync(join(dataDir, 'machines', 'dep_a'))).toBe(false);
    await driver.destroyMachine(home, id);
  });

  it('classifies bad calls: unknown tenant, unreached secrets version, duplicate name', async () => {
    const stranger = { appName: 'local-nobody', network: 'loopback' };
    await expect(driver.createMachine(stranger, planFor('dep_x'))).rejects.toMatchObject({ kind: 'not_found' });
    await expect(driver.createMachine(home, planFor('dep_x', { minSecretsVersion: 99 }))).rejects.toBeInstanceOf(DriverError);
    expect(await driver.setSecrets(home, { OTHER: 'x' })).toBe(2);
    await driver.unsetSecrets(home, ['OTHER', 'MISSING']);
    expect(await driver.setSecrets(home, {})).toBe(4);
    expect(await driver.getMachine(stranger, 'nope')).toBeUndefined();
  });

  it('marks a machine failed when its runner cannot start the server, and close() ends every machine', async () => {
    const broken = await driver.createMachine(home, planFor('dep_b'));
    await waitFor(async () => (await machineState(broken.id)) === 'failed', 15_000);
    expect((await driver.getMachine(home, broken.id))?.lastExit?.exitCode).toBe(2);
    await driver.setSecrets(home, tokenSecret('dep_c'));
    const live = await driver.createMachine(home, planFor('dep_c', { secretNames: [] }));
    await waitFor(() => passing(live.id), 15_000);
    await expect(driver.createMachine(home, planFor('dep_c'))).rejects.toMatchObject({ kind: 'conflict' });
    await driver.close();
    expect(await machineState(live.id)).toBe('stopped');
  });
});

describe('LocalMachineDriver with the real npx download, sandboxed', () => {
  it('deploys @modelcontextprotocol/server-everything from the npm registry inside the sandbox', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hangar-local-npx-'));
    const driver = new LocalMachineDriver({ dataDir, logger: createLogger({ level: 'silent' }), healthIntervalMs: 200 });
    expect(driver.sandbox?.bwrap).toMatch(/\/bwrap$/);
    try {
      const home = await driver.ensureTenant('team_npx');
      await driver.setSecrets(home, { ...tokenSecret('dep_npx'), [deploymentSecretName('dep_npx', 'API_KEY')]: CANARY });
      const machine = await driver.createMachine(home, planFor('dep_npx'));
      await waitFor(async () => (await driver.getMachine(home, machine.id))?.checks[0]?.status === 'passing', 100_000);
      const { client } = await connectClient((await driver.getMachine(home, machine.id))?.endpoint ?? '', TOKEN);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
      const env = JSON.parse(firstText(await client.callTool({ name: 'get-env', arguments: {} }))) as Record<string, string>;
      // npx adds its own npm_* variables; nothing of the API's or the runner's environment is there.
      expect(Object.keys(env).filter((name) => name.startsWith('HANGAR_') || name.startsWith('FLY_'))).toEqual([]);
      expect(env).toMatchObject({
        HOME: '/home/mcp',
        TMPDIR: '/tmp',
        LANG: 'C.UTF-8',
        npm_config_cache: '/home/mcp/.npm',
        npm_config_update_notifier: 'false',
        GREETING: 'hello',
        API_KEY: CANARY,
      });
      await client.close();
      const dir = join(dataDir, 'machines', 'dep_npx');
      if (process.getuid?.() === 0) {
        const owner = statSync(dir);
        expect(owner.uid).toBeGreaterThanOrEqual(2_000_000);
        expect(owner.mode & 0o777).toBe(0o700);
        expect(existsSync(join(dir, 'home', '.npm'))).toBe(true);
      }
      // bwrap does not forward SIGTERM: the init scripts do, so a stop is a clean exit, not a kill.
      await driver.stopMachine(home, machine.id);
      expect(await driver.getMachine(home, machine.id)).toMatchObject({ state: 'stopped', lastExit: { exitCode: 0 } });
      await driver.destroyMachine(home, machine.id);
      expect(existsSync(dir)).toBe(false);
    } finally {
      await driver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
