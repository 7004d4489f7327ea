import { readFieldStatus, type Template, type TemplateField, type TemplateValues } from '../catalog.ts';
import { listAll } from '../client.ts';
import { listOption, stringOption, type Command } from '../command.ts';
import { TEAM_OPTION } from '../deployment.ts';
import { UsageError } from '../errors.ts';
import { collectValueArgs } from '../value-args.ts';

const requiredNames = (t: Template) => t.fields.filter((f) => f.required).map((f) => f.name);

function findField(template: Template, name: string): TemplateField {
  const field = template.fields.find((f) => f.name === name);
  if (!field) {
    const known = template.fields.map((f) => f.name).join(', ') || 'none';
    throw new UsageError(`${template.slug} has no field "${name.slice(0, 60)}" (fields: ${known})`);
  }
  return field;
}

export const catalogCommands: Command[] = [
  {
    path: ['catalog', 'ls'],
    summary: 'List the server catalog: templates you can deploy by slug',
    usage: 'hangar catalog ls [--retired] [--json]',
    read: true,
    options: { retired: { type: 'boolean', description: 'Include retired templates (they accept no new deployments)' } },
    examples: ['hangar catalog ls', 'hangar catalog ls --retired --json'],
    async run(ctx, { values }) {
      const retired = values.retired === true;
      const rows = await listAll<Template>(ctx.api(), '/v1/templates', { retired: retired ? 'true' : undefined });
      if (values.json) return void ctx.out.json(rows);
      ctx.out.table(
        rows.map((t) => ({ ...t, required: requiredNames(t), state: t.retired ? 'retired' : 'active' })),
        [
          { key: 'slug', title: 'SLUG' }, { key: 'name', title: 'NAME' }, { key: 'package', title: 'PACKAGE' }, { key: 'required', title: 'REQUIRED FIELDS' },
          ...(retired ? [{ key: 'state', title: 'STATE' }] : []),
        ],
      );
    },
  },
  {
    path: ['catalog', 'show'],
    summary: 'Show a template, its fields and the values set for you and your team',
    usage: 'hangar catalog show <slug> [--team <team>] [--json]',
    description:
      'Per field: type, tier (the most specific level that may set it), whether it is required, the template default, ' +
      "the team's value, your value, whether the team locked it, and where the value a deployment would use comes from. " +
      'Secret values are always shown as *****.',
    positionals: { min: 1, max: 1 },
    read: true,
    options: { ...TEAM_OPTION },
    examples: ['hangar catalog show github', 'hangar catalog show github --team acme --json'],
    async run(ctx, { values, positionals }) {
      const team = await ctx.resolveTeam(stringOption(values, 'team'));
      const { template, fields } = await readFieldStatus(ctx.api(), positionals[0] ?? '', team);
      const rows = fields.map(({ field, team: t, user: u, source }) => ({
        name: field.name,
        type: field.type,
        tier: field.tier,
        required: field.required,
        description: field.description,
        default: field.default ?? null,
        teamValue: t?.set ? t.value : null,
        userValue: u?.set ? u.value : null,
        locked: t?.locked ?? false,
        effective: source ?? null,
      }));
      if (values.json) return void ctx.out.json({ template, team, fields: rows });
      const out = ctx.out;
      out.line(`${out.bold(template.name)} (${template.slug})${template.retired ? ` ${out.red('retired')}` : ''}`);
      out.line(`Package: ${template.package}${template.args.length ? `  args: ${template.args.join(' ')}` : ''}`);
      if (template.description) out.line(template.description);
      out.line(`Team: ${team}`);
      out.line('');
      out.table(
        rows.map((r) => ({ ...r, required: r.required ? 'yes' : 'no', locked: r.locked ? 'yes' : '', effective: r.effective ?? (r.required ? out.red('missing') : null) })),
        [
          { key: 'name', title: 'FIELD' }, { key: 'type', title: 'TYPE' }, { key: 'tier', title: 'TIER' }, { key: 'required', title: 'REQUIRED' },
          { key: 'default', title: 'DEFAULT' }, { key: 'teamValue', title: 'TEAM' }, { key: 'userValue', title: 'YOURS' }, { key: 'locked', title: 'LOCKED' },
          { key: 'effective', title: 'FROM' },
        ],
      );
    },
  },
  {
    path: ['catalog', 'set'],
    summary: "Set, clear or lock a template's values for your team or for you",
    usage: 'hangar catalog set <slug> [FIELD=VALUE | FIELD - | FIELD]... [--team <team> | --user] [--lock FIELD] [--unlock FIELD] [--clear FIELD]',
    description:
      'Team values (the default; team admins) apply to every deployment of the team made from the template; --user values ' +
      'are yours and win over the team unless it locked the field. Secret fields are never taken from the command line: ' +
      'give `FIELD -` to read the value from stdin, or a bare FIELD to be asked with hidden input. Deployments the change ' +
      'reaches pick it up: waiting ones start once complete, running ones restart.',
    positionals: { min: 1, max: 101 },
    options: {
      ...TEAM_OPTION,
      user: { type: 'boolean', description: 'Set your own values instead of the team\'s' },
      lock: { type: 'string', multiple: true, value: 'FIELD', description: 'Lock a team value: users cannot override it' },
      unlock: { type: 'string', multiple: true, value: 'FIELD', description: 'Unlock a team value' },
      clear: { type: 'string', multiple: true, value: 'FIELD', description: 'Remove the value at this level' },
    },
    examples: [
      'hangar catalog set gitlab GITLAB_API_URL=https://gitlab.example.com/api/v4 --lock GITLAB_API_URL --team acme',
      'pass show github | hangar catalog set github GITHUB_PERSONAL_ACCESS_TOKEN - --user',
      'hangar catalog set github GITHUB_PERSONAL_ACCESS_TOKEN --user     # asks, input hidden',
      'hangar catalog set gitlab --clear GITLAB_API_URL',
    ],
    async run(ctx, { values, positionals }) {
      const [slug = '', ...args] = positionals;
      const user = values.user === true;
      const teamFlag = stringOption(values, 'team');
      if (user && teamFlag) throw new UsageError('--user and --team exclude each other');
      const lock = listOption(values, 'lock');
      const unlock = listOption(values, 'unlock');
      if (user && lock.length + unlock.length > 0) throw new UsageError('Only team values can be locked (drop --user)');
      const api = ctx.api();
      const template = await api.get<Template>(`/v1/templates/${encodeURIComponent(slug)}`);
      const pairs = await collectValueArgs(ctx, args, {
        check: (name) => findField(template, name).name,
        refuseInline: (name) => {
          if (findField(template, name).type === 'secret') throw new UsageError(`${name} is a secret and is never taken from the command line: use "${name} -" (stdin) or a bare ${name} (hidden prompt)`);
        },
        hidden: (name) => findField(template, name).type === 'secret',
        hint: (name) => `use "${name} -" (stdin)${findField(template, name).type === 'secret' ? '' : ` or ${name}=VALUE`}`,
      });
      const body: { values: Record<string, string | null>; locked?: Record<string, boolean> } = { values: {} };
      for (const [name, value] of pairs) {
        if (value === '') throw new UsageError(`The value for ${name} is empty (use --clear ${name} to remove it)`);
        body.values[name] = value;
      }
      for (const name of listOption(values, 'clear')) body.values[findField(template, name).name] = null;
      if (!user) body.locked = Object.fromEntries([...lock.map((n) => [findField(template, n).name, true]), ...unlock.map((n) => [findField(template, n).name, false])]);
      if (Object.keys(body.values).length === 0 && Object.keys(body.locked ?? {}).length === 0) throw new UsageError('Name at least one field to set, clear, lock or unlock');
      const team = user ? undefined : await ctx.resolveTeam(teamFlag);
      const path = team ? `/v1/teams/${encodeURIComponent(team)}/templates/${encodeURIComponent(slug)}/values` : `/v1/me/templates/${encodeURIComponent(slug)}/values`;
      const after = await api.send<TemplateValues>('PUT', path, body);
      const label = team ? `team ${team}` : 'your values';
      const out = ctx.out;
      for (const name of Object.keys(body.values)) out.line(`${out.green('✓')} ${body.values[name] === null ? 'Cleared' : 'Set'} ${out.bold(name)} for ${slug} in ${label}`);
      for (const [name, locked] of Object.entries(body.locked ?? {})) {
        const now = after.fields.find((f) => f.name === name)?.locked;
        out.line(`${out.green('✓')} ${now ?? locked ? 'Locked' : 'Unlocked'} ${out.bold(name)} for ${slug} in ${label}`);
      }
    },
  },
];
