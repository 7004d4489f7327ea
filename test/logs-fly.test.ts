import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRunner, waitFor, type SpawnedRunner } from '../runner/test-support.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from './deployments-harness.ts';

/**
 * Fly mode: the logs endpoint reads the runner's stderr ring over the same private route as MCP traffic
 * (the tenant app's Flycast address, pinned to the machine with `fly-force-instance-id`). The fake Fly runs
 * no machine, so a real runner (the one every machine runs) stands behind a Flycast stand-in that routes
 * only requests pinned to the deployment's machine.
 */
let world: DeploymentWorld;
let runner: SpawnedRunner;
let flycast: Server;
let depId: string;
let machineId: string;
const routed: Array<{ path: string; instance: string | undefined }> = [];

beforeAll(async () => {
  world = await createDeploymentWorld();
  const res = await world.deploy(world.owner, { name: 'fly-logs', package: `npm:${TEST_PACKAGE}` });
  depId = ((await res.json()) as { id: string }).id;
  const db = world.hangar.services.db;
  await world.settle(async () => (await db.deployment.findUniqueOrThrow({ where: { id: depId } })).state === 'running');
  const dep = await db.deployment.findUniqueOrThrow({ where: { id: depId } });
  machineId = dep.machineId ?? '';
  const token = world.hangar.services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
  const child = "console.error('fly server: listening'); console.error('fly server: key ' + process.env.API_SECRET); setInterval(() => {}, 1000)";
  runner = await spawnRunner(['--', process.execPath, '-e', child], { PATH: process.env.PATH ?? '/usr/bin:/bin', HANGAR_RUNNER_TOKEN: token, API_SECRET: 'sk_live_fly0123456789' });
  flycast = createServer((req, res) => {
    const instance = req.headers['fly-force-instance-id'] as string | undefined;
    routed.push({ path: req.url ?? '', instance });
    if (instance !== machineId) return void res.writeHead(503).end();
    void fetch(`${runner.url}${req.url ?? '/'}`, { headers: { authorization: req.headers.authorization ?? '' } }).then(async (answer) => {
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(await answer.text());
    });
  });
  await new Promise<void>((r) => flycast.listen(0, '127.0.0.1', r));
  await db.deployment.update({ where: { id: depId }, data: { privateAddress: `http://127.0.0.1:${(flycast.address() as AddressInfo).port}` } });
  await waitFor(async () => runner.lines.some((l) => l.includes('fly server: key')), 10_000);
}, 60_000);

afterAll(async () => {
  runner.process.kill('SIGTERM');
  await runner.exited;
  flycast.closeAllConnections();
  await new Promise((r) => flycast.close(r));
  await world.close();
});

describe('logs in Fly mode', () => {
  it('reads the runner ring through the pinned private route, masked, merged with system lines', async () => {
    expect(world.hangar.services.driver.kind).toBe('fly');
    const res = await world.hangar.request(`/v1/deployments/${depId}/logs?tail=50`, { headers: world.owner.keyHeaders });
    expect(res.status).toBe(200);
    const lines = ((await res.json()) as { data: Array<{ stream: string; line: string }> }).data;
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['fly server: listening', 'fly server: key sk_*****']);
    expect(lines.some((l) => l.stream === 'system' && l.line.startsWith('launch: '))).toBe(true);
    expect(routed.at(-1)).toEqual({ path: '/logs?tail=50', instance: machineId });
    expect(JSON.stringify(lines)).not.toContain('sk_live_fly0123456789');
  });
});
