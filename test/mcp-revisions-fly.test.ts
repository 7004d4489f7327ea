import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, spawnRunner, type SpawnedRunner } from '../runner/test-support.ts';
import { createDeploymentWorld, TEST_PACKAGE, type DeploymentWorld } from './deployments-harness.ts';
import { connectLegacy, connectModern, ENVELOPE, MODERN, modernHeaders, rawPost, textOf } from './mcp-revisions.ts';

/**
 * Both MCP revisions in Fly mode: a deployment made by the reconciler on the fake Fly Machines API, whose
 * machine address is then served by the real runner (started with the deployment's own runner token, as the
 * machine would be) around the real server-everything. Hangar's proxy forwards as it does on Fly (with
 * `fly-force-instance-id`); the v1 and v2 SDK clients use the same deployment URL.
 */
let world: DeploymentWorld;
let runner: SpawnedRunner;
let server: Server;
let url: string;

beforeAll(async () => {
  world = await createDeploymentWorld();
  const res = await world.deploy(world.owner, { name: 'fly-revisions', package: `npm:${TEST_PACKAGE}` });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await world.settle(async () => (await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } })).state === 'running');
  const dep = await world.hangar.services.db.deployment.findUniqueOrThrow({ where: { id } });
  expect(world.hangar.services.driver.kind).toBe('fly');
  const token = world.hangar.services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId });
  runner = await spawnRunner(['--', process.execPath, EVERYTHING, 'stdio'], { PATH: process.env.PATH ?? '/usr/bin:/bin', HANGAR_RUNNER_TOKEN: token });
  // The fake Fly has no machine behind the Flycast address: the real runner stands where the machine would.
  await world.hangar.services.db.deployment.update({ where: { id }, data: { privateAddress: runner.url } });
  server = serve({ fetch: world.hangar.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/deployments/${id}/mcp`;
}, 30_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  runner?.process.kill('SIGTERM');
  await runner?.exited;
  await world?.close();
});

describe('both MCP revisions on one deployment URL, Fly mode', () => {
  it('v2 client: discover, list, call', async () => {
    const modern = await connectModern(url, world.owner.apiKey);
    expect([modern.getProtocolEra(), modern.getNegotiatedProtocolVersion()]).toEqual(['modern', MODERN]);
    expect((await modern.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(textOf(await modern.callTool({ name: 'echo', arguments: { message: 'fly v2' } }))).toBe('Echo: fly v2');
    await modern.close();
  });

  it('v1 client: initialize (session), list, call, DELETE', async () => {
    const { client, transport } = await connectLegacy(url, world.owner.apiKey);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).toContain('3');
    await transport.terminateSession();
    await client.close();
  });

  it('raw 2026-07-28 discover answers with the result fields; a header mismatch is -32020', async () => {
    const discover = await rawPost(url, modernHeaders(world.owner.apiKey, 'server/discover'), { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: ENVELOPE } });
    expect(discover).toMatchObject({ status: 200, body: { result: { supportedVersions: expect.arrayContaining([MODERN]), cacheScope: 'private' } } });
    const mismatch = await rawPost(url, modernHeaders(world.owner.apiKey, 'tools/list'), { jsonrpc: '2.0', id: 2, method: 'server/discover', params: { _meta: ENVELOPE } });
    expect(mismatch).toMatchObject({ status: 400, body: { error: { code: -32020 } } });
  });
});
