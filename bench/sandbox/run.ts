// The sandbox's cost, in one run: deploy-to-first-call (npx from the live npm registry, cold cache, then a
// restart with the cache warm) and tool-call latency through the runner, with and without bwrap.
// `npm run bench:sandbox` (tsx bench/sandbox/run.ts [--calls N]).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMachineDriver } from '../../api/machines/local-driver.ts';
import { deploymentSecretName } from '../../api/machines/machine-config.ts';
import type { LaunchPlan } from '../../api/machines/driver.ts';
import { createLogger } from '../../api/platform/logger.ts';
import { connectClient, EVERYTHING_PACKAGE, EVERYTHING_VERSION, waitFor } from '../../runner/test-support.ts';
import { timeEchoCalls } from '../lib/mcp-timing.ts';

const CALLS = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 500;
const TOKEN = 'bench-sandbox-token-0123456789abcdef';

function plan(deploymentId: string): LaunchPlan {
  return {
    deploymentId, teamId: 'team_bench', generation: 1, machineName: `dep-${deploymentId}`, region: 'local', runtime: 'npm',
    packageRef: `${EVERYTHING_PACKAGE}@${EVERYTHING_VERSION}`, args: ['stdio'], env: {}, secretNames: [],
    guest: { cpuKind: 'shared', cpus: 1, memoryMb: 256 }, minSecretsVersion: undefined,
  };
}

async function measure(sandboxed: boolean): Promise<{ cold: number; warm: number; p50: number; p99: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-sandbox-'));
  const driver = new LocalMachineDriver({ dataDir, logger: createLogger({ level: 'silent' }), healthIntervalMs: 50, ...(sandboxed ? {} : { sandbox: false as const }) });
  if (sandboxed && !driver.sandbox) throw new Error('bwrap is not on PATH: nothing to compare');
  try {
    const home = await driver.ensureTenant('team_bench');
    await driver.setSecrets(home, { [deploymentSecretName('dep_bench', 'HANGAR_RUNNER_TOKEN')]: TOKEN });
    const firstCall = async (id: string, started: number): Promise<number> => {
      await waitFor(async () => (await driver.getMachine(home, id))?.checks[0]?.status === 'passing', 120_000);
      const { client } = await connectClient((await driver.getMachine(home, id))?.endpoint ?? '', TOKEN);
      await client.callTool({ name: 'echo', arguments: { message: 'first' } });
      const elapsed = performance.now() - started;
      await client.close();
      return elapsed;
    };
    let started = performance.now();
    const machine = await driver.createMachine(home, plan('dep_bench'));
    const cold = await firstCall(machine.id, started);
    started = performance.now();
    await driver.restartMachine(home, machine.id);
    const warm = await firstCall(machine.id, started);
    const { client } = await connectClient((await driver.getMachine(home, machine.id))?.endpoint ?? '', TOKEN);
    const { p50, p99 } = await timeEchoCalls(client, CALLS, 50);
    await client.close();
    return { cold, warm, p50, p99 };
  } finally {
    await driver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [] as Array<[string, Awaited<ReturnType<typeof measure>>]>;
rows.push(['plain process', await measure(false)]);
rows.push(['bwrap sandbox', await measure(true)]);
console.log(`| machine | deploy to first call, cold npm cache (ms) | restart to first call, warm cache (ms) | echo p50 (ms) | echo p99 (ms) |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, r] of rows) console.log(`| ${name} | ${r.cold.toFixed(0)} | ${r.warm.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
