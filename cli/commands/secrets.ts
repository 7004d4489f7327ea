import { listOption, type Command, type CommandContext, type OptionValues } from '../command.ts';
import { ApiError, UsageError } from '../errors.ts';
import { listAll } from '../client.ts';
import { collectValueArgs } from '../value-args.ts';

interface Credential {
  name: string;
  scope: string;
  value: string;
  updatedAt: string;
  lastUsedAt: string | null;
  lastUsedBy: string | null;
}

const NAME = /^[A-Z_][A-Z0-9_]*$/;

const SCOPE_OPTIONS = {
  user: { type: 'boolean', description: 'Your personal credentials (they override a team value of the same name)' },
  team: { type: 'string', value: 'team', description: 'Team id or slug (default: HANGAR_TEAM, `hangar teams use`, or your personal team)' },
} as const;

async function basePath(ctx: CommandContext, values: OptionValues): Promise<{ path: string; label: string }> {
  if (values.user === true) {
    if (typeof values.team === 'string') throw new UsageError('--user and --team exclude each other');
    return { path: '/v1/me/credentials', label: 'your personal credentials' };
  }
  const team = await ctx.resolveTeam(typeof values.team === 'string' ? values.team : undefined);
  return { path: `/v1/teams/${encodeURIComponent(team)}/credentials`, label: `team ${team}` };
}

function checkName(name: string): string {
  if (!NAME.test(name) || name.length > 128) throw new UsageError(`"${name.slice(0, 40)}" is not a credential name (upper-case letters, digits, underscores)`);
  return name;
}

/**
 * The (name, value) pairs a `secrets set` command line means: `NAME=VALUE`, `NAME -` (value on stdin),
 * `--from-env NAME` (value from this process's environment), or a bare `NAME` (hidden prompt on a TTY).
 * Error messages name the credential, never echo a value.
 */
export async function collectSecrets(ctx: CommandContext, positionals: string[], fromEnv: string[]): Promise<Array<[string, string]>> {
  const pairs = await collectValueArgs(ctx, positionals, {
    check: checkName,
    hidden: () => true,
    hint: (name) => `use ${name}=VALUE, "${name} -" (stdin) or --from-env ${name}`,
  });
  for (const name of fromEnv) {
    const value = ctx.io.env[checkName(name)];
    if (value === undefined) throw new UsageError(`--from-env ${name}: ${name} is not set in the environment`);
    pairs.push([name, value]);
  }
  for (const [name, value] of pairs) if (value === '') throw new UsageError(`The value for ${name} is empty`);
  if (pairs.length === 0) throw new UsageError('Name at least one secret');
  return pairs;
}

export const secretCommands: Command[] = [
  {
    path: ['secrets', 'ls'],
    summary: 'List credentials (values are always masked)',
    usage: 'hangar secrets ls [--team <team> | --user] [--json]',
    read: true,
    options: SCOPE_OPTIONS,
    examples: ['hangar secrets ls', 'hangar secrets ls --user --json'],
    async run(ctx, { values }) {
      const { path } = await basePath(ctx, values);
      const rows = await listAll<Credential>(ctx.api(), path);
      if (values.json) return void ctx.out.json(rows);
      ctx.out.table(rows, [
        { key: 'name', title: 'NAME' }, { key: 'value', title: 'VALUE' }, { key: 'scope', title: 'SCOPE' },
        { key: 'updatedAt', title: 'UPDATED' }, { key: 'lastUsedAt', title: 'LAST USED' }, { key: 'lastUsedBy', title: 'BY' },
      ]);
    },
  },
  {
    path: ['secrets', 'set'],
    summary: 'Store or replace credentials',
    usage: 'hangar secrets set <NAME=VALUE | NAME - | NAME>... [--from-env NAME] [--team <team> | --user]',
    description:
      'A value given as NAME=VALUE lands in your shell history and the process list; prefer `NAME -` (read from stdin), ' +
      '--from-env NAME, or a bare NAME (hidden prompt). Values are encrypted by Hangar and never shown again.',
    positionals: { min: 0, max: 100 },
    options: { ...SCOPE_OPTIONS, 'from-env': { type: 'string', multiple: true, value: 'NAME', description: 'Take the value of NAME from your environment' } },
    examples: [
      'hangar secrets set GITHUB_TOKEN - < token.txt',
      'pass show github | hangar secrets set GITHUB_TOKEN -',
      'hangar secrets set --from-env OPENAI_API_KEY --team acme',
      'hangar secrets set GITHUB_TOKEN            # asks, input hidden',
    ],
    async run(ctx, { values, positionals }) {
      const pairs = await collectSecrets(ctx, positionals, listOption(values, 'from-env'));
      const { path, label } = await basePath(ctx, values);
      const api = ctx.api();
      for (const [name, value] of pairs) {
        let verb = 'Replaced';
        try {
          await api.send('PUT', `${path}/${encodeURIComponent(name)}`, { value });
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 404)) throw error;
          await api.send('POST', path, { name, value });
          verb = 'Stored';
        }
        ctx.out.line(`${ctx.out.green('✓')} ${verb} ${ctx.out.bold(name)} in ${label}`);
      }
    },
  },
  {
    path: ['secrets', 'unset'],
    summary: 'Delete credentials',
    usage: 'hangar secrets unset <NAME>... [--team <team> | --user]',
    positionals: { min: 1, max: 100 },
    options: SCOPE_OPTIONS,
    examples: ['hangar secrets unset GITHUB_TOKEN', 'hangar secrets unset OLD_KEY --user'],
    async run(ctx, { values, positionals }) {
      const { path, label } = await basePath(ctx, values);
      for (const name of positionals) {
        await ctx.api().send('DELETE', `${path}/${encodeURIComponent(checkName(name))}`);
        ctx.out.line(`${ctx.out.green('✓')} Deleted ${ctx.out.bold(name)} from ${label}`);
      }
    },
  },
];
