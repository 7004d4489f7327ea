import { stringOption, type Command, type CommandContext } from '../command.ts';
import { writeStoredConfig } from '../config.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';

interface Team {
  id: string;
  slug: string;
  name: string;
  personal: boolean;
  role: string;
}

interface Member {
  userId: string;
  email: string;
  name: string | null;
  role: string;
  since: string;
}

const TEAM = { team: { type: 'string', value: 'team', description: 'Team id or slug (default: HANGAR_TEAM, `hangar teams use`, or your personal team)' } } as const;
const ROLES = ['admin', 'member', 'viewer'];

const teamPath = async (ctx: CommandContext, values: Record<string, unknown>) =>
  `/v1/teams/${encodeURIComponent(await ctx.resolveTeam(typeof values.team === 'string' ? values.team : undefined))}`;

/** A member's user id from an id or an email address. */
async function memberId(ctx: CommandContext, base: string, who: string): Promise<string> {
  if (!who.includes('@')) return who;
  const members = await ctx.api().get<{ data: Member[] }>(`${base}/members`);
  const found = members.data.find((m) => m.email.toLowerCase() === who.toLowerCase());
  if (!found) throw new CliError(`No member with email ${who}`, EXIT.notFound);
  return found.userId;
}

function checkRole(role: string): string {
  if (!ROLES.includes(role)) throw new UsageError(`role must be one of ${ROLES.join(', ')}`);
  return role;
}

export const teamCommands: Command[] = [
  {
    path: ['teams', 'ls'],
    summary: 'List your teams',
    usage: 'hangar teams ls [--json]',
    read: true,
    examples: ['hangar teams ls', 'hangar teams ls --json'],
    async run(ctx, { values }) {
      const teams = await ctx.api().get<{ data: Team[] }>('/v1/teams');
      if (values.json) return void ctx.out.json(teams.data);
      const current = ctx.config.team;
      ctx.out.table(
        teams.data.map((t) => ({ ...t, current: current && (current === t.id || current === t.slug) ? '*' : '', kind: t.personal ? 'personal' : 'shared' })),
        [{ key: 'current', title: ' ' }, { key: 'slug', title: 'SLUG' }, { key: 'name', title: 'NAME' }, { key: 'role', title: 'ROLE' }, { key: 'kind', title: 'KIND' }, { key: 'id', title: 'ID' }],
      );
    },
  },
  {
    path: ['teams', 'create'],
    summary: 'Create a team (you become its owner)',
    usage: 'hangar teams create <name> [--slug <slug>]',
    positionals: { min: 1, max: 1 },
    examples: ['hangar teams create "Acme Tools" --slug acme'],
    options: { slug: { type: 'string', value: 'slug', description: 'URL-friendly short name (3-40 of a-z, 0-9, -)' } },
    async run(ctx, { values, positionals }) {
      const team = await ctx.api().send<Team>('POST', '/v1/teams', { name: positionals[0], slug: stringOption(values, 'slug') });
      ctx.out.line(`${ctx.out.green('✓')} Created team ${ctx.out.bold(team.slug)} (${team.id})`);
    },
  },
  {
    path: ['teams', 'use'],
    summary: 'Make a team the default for every command',
    usage: 'hangar teams use <team>',
    positionals: { min: 1, max: 1 },
    examples: ['hangar teams use acme'],
    async run(ctx, { positionals }) {
      const team = await ctx.api().get<Team>(`/v1/teams/${encodeURIComponent(positionals[0] ?? '')}`);
      writeStoredConfig(ctx.configPath, { ...ctx.config.stored, team: team.slug });
      ctx.out.line(`${ctx.out.green('✓')} Using team ${ctx.out.bold(team.slug)}`);
    },
  },
  {
    path: ['teams', 'members'],
    summary: 'List the members of a team',
    usage: 'hangar teams members [--team <team>] [--json]',
    read: true,
    options: TEAM,
    examples: ['hangar teams members --team acme'],
    async run(ctx, { values }) {
      const members = await ctx.api().get<{ data: Member[] }>(`${await teamPath(ctx, values)}/members`);
      if (values.json) return void ctx.out.json(members.data);
      ctx.out.table(members.data, [{ key: 'email', title: 'EMAIL' }, { key: 'name', title: 'NAME' }, { key: 'role', title: 'ROLE' }, { key: 'userId', title: 'USER' }, { key: 'since', title: 'SINCE' }]);
    },
  },
  {
    path: ['teams', 'invite'],
    summary: 'Invite someone by email (they get a link valid for 7 days)',
    usage: 'hangar teams invite <email> [--role member] [--team <team>]',
    positionals: { min: 1, max: 1 },
    options: { ...TEAM, role: { type: 'string', value: 'role', description: 'admin, member (default) or viewer' } },
    examples: ['hangar teams invite bob@example.com --role viewer --team acme'],
    async run(ctx, { values, positionals }) {
      const role = checkRole(stringOption(values, 'role') ?? 'member');
      const inv = await ctx.api().send<{ id: string; email: string; expiresAt: string }>('POST', `${await teamPath(ctx, values)}/invitations`, { email: positionals[0], role });
      ctx.out.line(`${ctx.out.green('✓')} Invited ${inv.email} as ${role} (${inv.id}, expires ${inv.expiresAt})`);
    },
  },
  {
    path: ['teams', 'join'],
    summary: 'Accept an invitation with the token from its email',
    usage: 'hangar teams join <token>',
    positionals: { min: 1, max: 1 },
    examples: ['hangar teams join hgi_0123456789abcdefghjkmnpqrstvwx'],
    async run(ctx, { positionals }) {
      const inv = await ctx.api().send<{ teamId: string; role: string }>('POST', '/v1/invitations/accept', { token: positionals[0] });
      ctx.out.line(`${ctx.out.green('✓')} Joined team ${inv.teamId} as ${inv.role}`);
    },
  },
  {
    path: ['teams', 'remove'],
    summary: 'Remove a member from a team',
    usage: 'hangar teams remove <user-id|email> [--team <team>]',
    positionals: { min: 1, max: 1 },
    options: TEAM,
    examples: ['hangar teams remove bob@example.com --team acme'],
    async run(ctx, { values, positionals }) {
      const base = await teamPath(ctx, values);
      const id = await memberId(ctx, base, positionals[0] ?? '');
      await ctx.api().send('DELETE', `${base}/members/${encodeURIComponent(id)}`);
      ctx.out.line(`${ctx.out.green('✓')} Removed ${positionals[0]}`);
    },
  },
  {
    path: ['teams', 'role'],
    summary: "Change a member's role",
    usage: 'hangar teams role <user-id|email> <admin|member|viewer> [--team <team>]',
    positionals: { min: 2, max: 2 },
    options: TEAM,
    examples: ['hangar teams role bob@example.com admin --team acme'],
    async run(ctx, { values, positionals }) {
      const role = checkRole(positionals[1] ?? '');
      const base = await teamPath(ctx, values);
      const id = await memberId(ctx, base, positionals[0] ?? '');
      const member = await ctx.api().send<Member>('PATCH', `${base}/members/${encodeURIComponent(id)}`, { role });
      ctx.out.line(`${ctx.out.green('✓')} ${member.email} is now ${member.role}`);
    },
  },
];
