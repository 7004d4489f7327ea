import { describe, expect, it } from 'vitest';
import { Rng, fuzzSeed } from '../test/fuzz/rng.ts';
import { socketBehaviour } from '../test/fuzz/socket-behaviours.ts';
import { connectClient, ENV_FIXTURE, firstText, spawnRunner, waitFor } from './test-support.ts';

const TOKEN = 'runner-test-token-fedcba9876543210';
const SECRET = 'canary-secret-7f3a9c1e5b';
const ARGUMENT = 'canary-argument-2d8e4f6a';
const BASE_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' };

describe('runner process', () => {
  it('gives the server exactly its declared environment and logs no secret, body or argument', async () => {
    const runner = await spawnRunner(['--', process.execPath, ENV_FIXTURE], {
      ...BASE_ENV,
      FOO: 'bar',
      FIXTURE_SECRET: SECRET,
      HANGAR_RUNNER_TOKEN: TOKEN,
      HANGAR_RUNNER_SECRET_NAMES: 'FIXTURE_SECRET',
      HANGAR_RUNNER_LOG_LEVEL: 'debug',
      FLY_REGION: 'ams',
    });
    const { client } = await connectClient(runner.url, TOKEN);
    const env = JSON.parse(firstText(await client.callTool({ name: 'env', arguments: {} }))) as Record<string, string>;
    expect(env).toEqual({ ...BASE_ENV, FOO: 'bar', FIXTURE_SECRET: SECRET });

    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: ARGUMENT } }))).toBe(`echo:${ARGUMENT}`);
    expect(firstText(await client.callTool({ name: 'leak', arguments: { message: ARGUMENT } }))).toBe('leaked');
    expect((await fetch(`${runner.url}/healthz`)).status).toBe(200);
    await waitFor(() => runner.lines.some((l) => l.includes('server stderr')), 5000);
    await client.close();
    runner.process.kill('SIGTERM');
    expect(await runner.exited).toEqual({ code: 0, signal: null });

    const logs = runner.lines.join('\n');
    expect(logs).toContain('"rpc":["tools/call"]');
    expect(logs).toContain('server config: secret can*****');
    expect(logs).toContain('not JSON-RPC');
    for (const forbidden of [SECRET, ARGUMENT, TOKEN]) expect(logs).not.toContain(forbidden);
  });

  it('exits with the server exit code when the server exits on its own', async () => {
    const runner = await spawnRunner(['--', process.execPath, ENV_FIXTURE], { ...BASE_ENV, HANGAR_RUNNER_TOKEN: TOKEN });
    const { client } = await connectClient(runner.url, TOKEN);
    await client.callTool({ name: 'exit', arguments: { code: 3 } });
    expect(await runner.exited).toEqual({ code: 3, signal: null });
    expect(runner.lines.join('\n')).toContain('"mcp server exited"');
    await client.close().catch(() => undefined);
  });

  it('answers health 200, and exits non-zero (128+9) when the server is killed', async () => {
    const runner = await spawnRunner(['--', process.execPath, ENV_FIXTURE], { ...BASE_ENV, HANGAR_RUNNER_TOKEN: TOKEN });
    expect((await fetch(`${runner.url}/healthz`)).status).toBe(200);
    process.kill(runner.childPid, 'SIGKILL');
    expect(await runner.exited).toEqual({ code: 137, signal: null });
  });

  it('answers health 503 when the server does not answer ping in time', async () => {
    // `cat` echoes our ping back as a request, never as a response: a server that is alive but not answering.
    const runner = await spawnRunner(['--health-timeout-ms', '300', '--', 'cat'], { ...BASE_ENV, HANGAR_RUNNER_TOKEN: TOKEN, HANGAR_RUNNER_LOG_LEVEL: 'warn' });
    const res = await fetch(`${runner.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable' });
    runner.process.kill('SIGINT');
    expect((await runner.exited).code).toBe(0);
  });

  it('refuses to start without a token, or without a command', async () => {
    await expect(spawnRunner(['--', process.execPath, ENV_FIXTURE], BASE_ENV)).rejects.toThrow(/exited early with 2/);
    await expect(spawnRunner([], { ...BASE_ENV, HANGAR_RUNNER_TOKEN: TOKEN })).rejects.toThrow(/exited early with 2/);
  });
});

describe('runner process under hostile sockets', () => {
  it('survives half bodies, resets, slow bodies and clients leaving streams, and keeps serving', async () => {
    const runner = await spawnRunner(['--', process.execPath, ENV_FIXTURE], { ...BASE_ENV, HANGAR_RUNNER_TOKEN: TOKEN, HANGAR_RUNNER_LOG_LEVEL: 'warn' });
    const { client, transport } = await connectClient(runner.url, TOKEN);
    const rng = new Rng(fuzzSeed());
    const target = { port: runner.port, mcpPath: '/mcp', jsonPath: '/mcp', auth: `Bearer ${TOKEN}`, sessionId: transport.sessionId };
    const statuses: Array<number | undefined> = [];
    for (let round = 0; round < 40; round += 1) {
      const batch = Array.from({ length: 4 }, () => socketBehaviour(rng, target));
      statuses.push(...(await Promise.all(batch.map((run) => run()))).map((o) => o.status));
    }
    expect(statuses.filter((s) => s !== undefined && s >= 500)).toEqual([]);
    expect(runner.process.exitCode).toBeNull();
    expect((await fetch(`${runner.url}/healthz`)).status).toBe(200);
    expect(firstText(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe('echo:still here');
    await client.close();
    runner.process.kill('SIGTERM');
    expect(await runner.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
