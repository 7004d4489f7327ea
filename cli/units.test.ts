import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs, splitPair, type Command } from './command.ts';
import { defaultName } from './commands/deploy.ts';
import { collectSecrets } from './commands/secrets.ts';
import { configPath, effectiveConfig } from './config.ts';
import { ApiError, describeError, EXIT, UsageError } from './errors.ts';
import { findCommand, runCli } from './main.ts';
import { colourEnabled, createOutput, formatTable, type Io } from './output.ts';
import { Prompter } from './prompt.ts';
import type { CommandContext } from './command.ts';

function memoryIo(env: Record<string, string> = {}, stdinText?: string): Io & { text(): { out: string; err: string } } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (stdinText !== undefined) stdin.end(stdinText);
  return { stdout, stderr, stdin, env, text: () => ({ out, err }) };
}

const probe: Command = {
  path: ['probe'], summary: 'probe', usage: 'hangar probe <a> [b]', examples: [], positionals: { min: 1, max: 2 }, read: true,
  options: { tag: { type: 'string', multiple: true, description: 'tag' } },
  run: async () => undefined,
};

describe('argument parsing', () => {
  it('parses options, repeatable options and positionals strictly', () => {
    expect(parseCommandArgs(probe, ['x', '--tag', 'a', '--tag=b', '--json'])).toEqual({ values: { tag: ['a', 'b'], json: true }, positionals: ['x'], help: false });
    expect(() => parseCommandArgs(probe, [])).toThrow(UsageError);
    expect(() => parseCommandArgs(probe, ['a', 'b', 'c'])).toThrow(/Unexpected argument "c"/);
    expect(() => parseCommandArgs(probe, ['a', '--nope'])).toThrow(UsageError);
    expect(parseCommandArgs(probe, ['-h']).help).toBe(true);
  });

  it('splits NAME=VALUE at the first = only', () => {
    expect(splitPair('K=a=b', '--env')).toEqual(['K', 'a=b']);
    expect(() => splitPair('=x', '--env')).toThrow(UsageError);
  });

  it('finds the longest matching command', () => {
    expect(findCommand(['admin', 'users', 'disable', 'usr_1'])?.command.path).toEqual(['admin', 'users', 'disable']);
    expect(findCommand(['admin', 'users'])?.rest).toEqual([]);
    expect(findCommand(['nothing'])).toBeUndefined();
  });

  it('exits 2 with the usage on a bad command line and 0 with --help', async () => {
    const bad = memoryIo();
    expect(await runCli(['status'], bad)).toBe(EXIT.usage);
    expect(bad.text().err).toContain('Usage: hangar status <name|id>');
    const help = memoryIo();
    expect(await runCli(['status', '--help'], help)).toBe(EXIT.ok);
    expect(help.text().out).toMatch(/Examples:\n {2}hangar status github-tools/);
    const unknown = memoryIo();
    expect(await runCli(['frobnicate'], unknown)).toBe(EXIT.usage);
  });
});

describe('errors', () => {
  it('maps API statuses to exit codes and prints message, code and request id', () => {
    expect(describeError(new ApiError(404, 'not_found', 'Deployment not found', 'req_abc'))).toEqual({ text: 'Deployment not found (not_found, request req_abc)', exitCode: 3, hint: undefined });
    expect(describeError(new ApiError(401, 'unauthorized', 'Authentication required', 'req_x')).exitCode).toBe(4);
    expect(describeError(new ApiError(403, 'forbidden', 'no', 'req_x')).exitCode).toBe(4);
    expect(describeError(new ApiError(422, 'rejected', 'no', undefined)).exitCode).toBe(1);
  });
});

describe('presentation', () => {
  it('uses colour only on a TTY, never with NO_COLOR or TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    const io = memoryIo();
    expect(createOutput(io).green('ok')).toBe('ok');
  });

  it('pads table columns to the widest cell and shows missing values as a dash', () => {
    expect(formatTable([{ a: 'x', b: null }, { a: 'longer', b: ['p', 'q'] }], [{ key: 'a', title: 'A' }, { key: 'b', title: 'BEE' }])).toBe('A       BEE\nx       -\nlonger  p,q');
  });

  it('names deployments after their package', () => {
    expect(defaultName('npm:@modelcontextprotocol/server-github@^2025.4.0')).toBe('server-github');
    expect(defaultName('pypi:mcp_server_fetch==2025.1.17')).toBe('mcp-server-fetch');
    expect(defaultName('npm:9x')).toBe('mcp-x');
  });
});

describe('configuration', () => {
  it('lives under XDG_CONFIG_HOME or ~/.config; HANGAR_URL, HANGAR_API_KEY and HANGAR_TEAM override the file', () => {
    expect(configPath({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/a' })).toBe('/x/cfg/hangar/config.json');
    expect(configPath({ HOME: '/home/a' })).toBe('/home/a/.config/hangar/config.json');
    const stored = { url: 'https://a.example', apiKey: 'hgr_stored', team: 'acme' };
    expect(effectiveConfig({}, stored)).toMatchObject({ url: 'https://a.example', apiKey: 'hgr_stored', keyFromEnv: false, team: 'acme' });
    expect(effectiveConfig({ HANGAR_URL: 'http://b.example/', HANGAR_API_KEY: 'hgr_env', HANGAR_TEAM: 'ops' }, stored)).toMatchObject({
      url: 'http://b.example', apiKey: 'hgr_env', keyFromEnv: true, team: 'ops',
    });
    expect(effectiveConfig({}, {}).url).toBe('http://127.0.0.1:8080');
  });
});

describe('secret values on the command line', () => {
  const ctxWith = (io: Io) => ({ io, prompt: new Prompter(io) }) as unknown as CommandContext;

  it('takes NAME=VALUE, NAME - (stdin) and --from-env NAME', async () => {
    const io = memoryIo({ FROM_ENV: 'env-value' }, 'stdin-value\n');
    expect(await collectSecrets(ctxWith(io), ['A=x=y', 'B', '-'], ['FROM_ENV'])).toEqual([['A', 'x=y'], ['B', 'stdin-value'], ['FROM_ENV', 'env-value']]);
  });

  it('refuses a missing value without echoing anything that could be one', async () => {
    const io = memoryIo({});
    await expect(collectSecrets(ctxWith(io), ['ALONE'], [])).rejects.toThrow(/No value for ALONE/);
    await expect(collectSecrets(ctxWith(io), [], ['UNSET_VAR'])).rejects.toThrow(/UNSET_VAR is not set/);
    await expect(collectSecrets(ctxWith(io), ['lower=secret-ish'], [])).rejects.toThrow(/"lower" is not a credential name/);
  });
});
