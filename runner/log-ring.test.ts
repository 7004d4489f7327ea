import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_LINE_MAX, LogRing } from './log-ring.ts';
import { spawnRunner, waitFor, type SpawnedRunner } from './test-support.ts';

const TOKEN = 'runner-logs-token-0123456789abcdef';

describe('LogRing', () => {
  it('keeps the last lines, masks known secrets and caps line length', () => {
    const ring = new LogRing(new Set(['s3cr3t-value']), 3);
    for (const line of ['one', 'two uses s3cr3t-value', 'three', 'four', 'x'.repeat(LOG_LINE_MAX + 50)]) ring.push(line);
    const lines = ring.read(10);
    expect(lines.map((l) => l.seq)).toEqual([3, 4, 5]);
    expect(lines[2]!.line).toHaveLength(LOG_LINE_MAX + 1);
    expect(ring.read(1).map((l) => l.line)).toEqual([`${'x'.repeat(LOG_LINE_MAX)}…`]);
    expect(ring.read(10, 4).map((l) => l.seq)).toEqual([5]);
    const masked = new LogRing(new Set(['s3cr3t-value']));
    masked.push('connecting with s3cr3t-value and password=hunter22');
    expect(masked.read(1)[0]!.line).toBe('connecting with s3c***** and password=hun*****');
  });
});

describe('runner GET /logs', () => {
  let runner: SpawnedRunner;
  beforeAll(async () => {
    const child = "console.error('starting with ' + process.env.API_SECRET); console.error('second line'); setInterval(() => {}, 1000)";
    runner = await spawnRunner(['--', process.execPath, '-e', child], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HANGAR_RUNNER_TOKEN: TOKEN,
      API_SECRET: 'sk_live_abcdef123456',
    });
  });
  afterAll(async () => {
    runner.process.kill('SIGTERM');
    await runner.exited;
  });

  it('serves the masked stderr lines to the token holder only', async () => {
    const read = (query: string, token?: string) => fetch(`${runner.url}/logs${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await read('?tail=10')).status).toBe(401);
    expect((await read('?tail=10', 'wrong-token-0123456789abcdef')).status).toBe(401);
    expect((await read('?tail=5000', TOKEN)).status).toBe(400);
    let lines: Array<{ seq: number; line: string }> = [];
    await waitFor(async () => {
      lines = ((await (await read('?tail=10', TOKEN)).json()) as { lines: typeof lines }).lines;
      return lines.length === 2;
    }, 10_000);
    expect(lines.map((l) => l.line)).toEqual(['starting with sk_*****', 'second line']);
    const after = ((await (await read(`?after=${lines[0]!.seq}`, TOKEN)).json()) as { lines: typeof lines }).lines;
    expect(after.map((l) => l.line)).toEqual(['second line']);
  });
});
