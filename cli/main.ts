import { createApiClient, type ApiClient } from './client.ts';
import { formatHelp, formatOverview, parseCommandArgs, type Command, type CommandContext } from './command.ts';
import { adminCommands } from './commands/admin.ts';
import { authCommands } from './commands/auth.ts';
import { catalogCommands } from './commands/catalog.ts';
import { deployCommands } from './commands/deploy.ts';
import { deploymentCommands } from './commands/deployments.ts';
import { grantCommands } from './commands/grants.ts';
import { keyCommands } from './commands/keys.ts';
import { logCommands } from './commands/logs.ts';
import { secretCommands } from './commands/secrets.ts';
import { teamCommands } from './commands/teams.ts';
import { configPath, effectiveConfig, readStoredConfig } from './config.ts';
import { CliError, describeError, EXIT, UsageError } from './errors.ts';
import { createOutput, type Io } from './output.ts';
import { Prompter } from './prompt.ts';

/** Every command, in the order the overview lists them. */
export const COMMANDS: Command[] = [
  ...authCommands,
  ...deployCommands,
  ...deploymentCommands,
  ...logCommands,
  ...catalogCommands,
  ...secretCommands,
  ...teamCommands,
  ...keyCommands,
  ...grantCommands,
  ...adminCommands,
];

const GROUPS: Record<string, string> = {
  catalog: 'The server catalog: templates and their values',
  teams: 'Teams, members and invitations',
  secrets: 'Team or personal credentials (values are never shown)',
  keys: 'Your API keys',
  grants: 'MCP clients signed in with OAuth (Claude, ChatGPT, VS Code)',
  admin: 'Global-admin commands',
};

const FOOTER = [
  'Every command takes --help. Reads take --json. Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 auth.',
  'Environment: HANGAR_URL and HANGAR_API_KEY override the stored login; HANGAR_TEAM picks the team; NO_COLOR disables colour.',
];

/** The Io of the running process. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Finds the command whose words start `argv` (longest match), with the remaining arguments. */
export function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of COMMANDS) {
    const n = command.path.length;
    if (argv.length >= n && command.path.every((word, i) => argv[i] === word) && (!best || n > best.command.path.length)) {
      best = { command, rest: argv.slice(n) };
    }
  }
  return best;
}

function buildContext(io: Io): CommandContext {
  const path = configPath(io.env);
  const config = effectiveConfig(io.env, readStoredConfig(path));
  const userAgent = `hangar-cli/0.1.0 node/${process.versions.node}`;
  let authed: ApiClient | undefined;
  const api = (): ApiClient => {
    if (!config.apiKey) throw new CliError('Not logged in', EXIT.auth, 'Run `hangar login` (or set HANGAR_API_KEY).');
    authed ??= createApiClient({ baseUrl: config.url, apiKey: config.apiKey, userAgent });
    return authed;
  };
  return {
    io,
    out: createOutput(io),
    prompt: new Prompter(io),
    configPath: path,
    config,
    api,
    anonymous: () => createApiClient({ baseUrl: config.url, userAgent }),
    async resolveTeam(flag) {
      const chosen = flag ?? config.team;
      if (chosen) return chosen;
      const teams = await api().get<{ data: Array<{ id: string; personal: boolean }> }>('/v1/teams');
      const team = teams.data.find((t) => t.personal) ?? teams.data[0];
      if (!team) throw new CliError('You belong to no team; create one with `hangar teams create`', EXIT.notFound);
      return team.id;
    },
  };
}

/** Runs one command line and returns its exit code; errors become one line on stderr, never a stack trace. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      const target = argv[0] === 'help' ? argv.slice(1) : [];
      const found = target.length ? findCommand(target) : undefined;
      if (target.length && !found) return printGroupOrUnknown(io, target);
      io.stdout.write(found ? formatHelp(found.command) : formatOverview('hangar: deploy and run MCP servers on Hangar', COMMANDS, FOOTER));
      return EXIT.ok;
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      io.stdout.write('hangar 0.1.0\n');
      return EXIT.ok;
    }
    const found = findCommand(argv);
    if (!found) return printGroupOrUnknown(io, argv);
    const { command, rest } = found;
    let input;
    try {
      input = parseCommandArgs(command, rest);
    } catch (error) {
      if (error instanceof UsageError) {
        io.stderr.write(`error: ${error.message}\n\n${formatHelp(command)}`);
        return EXIT.usage;
      }
      throw error;
    }
    if (input.help) {
      io.stdout.write(formatHelp(command));
      return EXIT.ok;
    }
    const code = await command.run(buildContext(io), input);
    return code ?? EXIT.ok;
  } catch (error) {
    const { text, exitCode, hint } = describeError(error);
    io.stderr.write(`error: ${text}\n${hint ? `${hint}\n` : ''}`);
    return exitCode;
  }
}

function printGroupOrUnknown(io: Io, argv: string[]): number {
  const group = argv[0] ?? '';
  const members = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === group);
  const askedHelp = argv.length === 1 || argv.slice(1).some((a) => a === '--help' || a === '-h');
  if (members.length && askedHelp) {
    io.stdout.write(formatOverview(`hangar ${group}: ${GROUPS[group] ?? ''}`, members, ['Run `hangar ' + group + ' <command> --help` for details.']));
    return EXIT.ok;
  }
  const shown = argv.slice(0, members.length ? 2 : 1).join(' ');
  io.stderr.write(`error: unknown command "${shown}"\nRun \`hangar --help\` for the list of commands.\n`);
  return EXIT.usage;
}
