import { listAll } from '../client.ts';
import { numberOption, splitPair, type Command } from '../command.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import type { User } from './auth.ts';


/** `true`/`false` (and yes/no, on/off) as booleans, other values as they are. */
function settingValue(text: string): boolean | string {
  if (/^(true|yes|on)$/i.test(text)) return true;
  if (/^(false|no|off)$/i.test(text)) return false;
  return text;
}

const userAction = (action: 'disable' | 'enable', summary: string): Command => ({
  path: ['admin', 'users', action],
  summary,
  usage: `hangar admin users ${action} <user-id>`,
  positionals: { min: 1, max: 1 },
  examples: [`hangar admin users ${action} usr_0123456789abcdef`],
  async run(ctx, { positionals }) {
    const user = await ctx.api().send<User>('POST', `/v1/admin/users/${encodeURIComponent(positionals[0] ?? '')}/${action}`);
    ctx.out.line(`${ctx.out.green('✓')} ${user.email} is ${user.disabled ? 'disabled' : 'enabled'}`);
  },
});

export const adminCommands: Command[] = [
  {
    path: ['admin', 'users'],
    summary: 'List every user (global admins)',
    usage: 'hangar admin users [--json]',
    read: true,
    examples: ['hangar admin users', 'hangar admin users --json | jq -r ".[].email"'],
    async run(ctx, { values }) {
      const users = await listAll<User>(ctx.api(), '/v1/admin/users');
      if (values.json) return void ctx.out.json(users);
      ctx.out.table(
        users.map((u) => ({ ...u, status: u.disabled ? 'disabled' : u.emailVerified ? 'active' : 'unverified', role: u.globalRole })),
        [{ key: 'email', title: 'EMAIL' }, { key: 'name', title: 'NAME' }, { key: 'role', title: 'ROLE' }, { key: 'status', title: 'STATUS' }, { key: 'id', title: 'ID' }, { key: 'createdAt', title: 'CREATED' }],
      );
    },
  },
  userAction('disable', 'Disable a user: their sessions and keys stop working at once'),
  userAction('enable', 'Re-enable a disabled user'),
  {
    path: ['admin', 'settings'],
    summary: 'Show operator settings (global admins)',
    usage: 'hangar admin settings [--json]',
    read: true,
    examples: ['hangar admin settings'],
    async run(ctx, { values }) {
      const settings = await ctx.api().get<Record<string, unknown>>('/v1/admin/settings');
      if (values.json) return void ctx.out.json(settings);
      for (const [k, v] of Object.entries(settings)) ctx.out.line(`${k} = ${String(v)}`);
    },
  },
  {
    path: ['admin', 'settings', 'set'],
    summary: 'Change operator settings',
    usage: 'hangar admin settings set <key=value>...',
    positionals: { min: 1, max: 20 },
    examples: ['hangar admin settings set signupsEnabled=false', 'hangar admin settings set requireVerifiedEmailToDeploy=true'],
    async run(ctx, { positionals }) {
      const patch = Object.fromEntries(positionals.map((p) => {
        const [k, v] = splitPair(p, 'settings set');
        return [k, settingValue(v)];
      }));
      const settings = await ctx.api().send<Record<string, unknown>>('PUT', '/v1/admin/settings', patch);
      for (const [k, v] of Object.entries(settings)) ctx.out.line(`${k} = ${String(v)}`);
    },
  },
  {
    path: ['admin', 'rotate-keys'],
    summary: 'Re-encrypt every stored secret under the newest vault key (operators, on the server)',
    usage: 'hangar admin rotate-keys [--batch-size <n>]',
    description:
      'Runs where the API runs, with its environment (DATABASE_URL or HANGAR_DATA_DIR, FERNET_KEYS newest first): it talks to the ' +
      'database, not to the HTTP API. Safe beside a live API; Ctrl-C finishes the batch in flight and a rerun resumes. ' +
      'Exit 0 when every value is under the newest key, 1 when some remain.',
    options: { 'batch-size': { type: 'string', value: 'n', description: 'Rows per transaction (default 200)' } },
    examples: ['fly ssh console -C "npx hangar admin rotate-keys"', 'FERNET_KEYS="$NEW,$OLD" npx hangar admin rotate-keys --batch-size 500'],
    async run(ctx, { values }) {
      const batch = values['batch-size'] === undefined ? [] : ['--batch-size', String(Math.round(numberOption(values, 'batch-size', 200)))];
      const { describeRotateError, formatRotationReport, rotationComplete, runVaultRotate } = await import('../../api/vault/rotate-command.ts');
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once('SIGINT', abort);
      try {
        const report = await runVaultRotate({ env: ctx.io.env, argv: batch, signal: controller.signal });
        ctx.out.line(formatRotationReport(report));
        return rotationComplete(report) ? EXIT.ok : EXIT.error;
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new CliError(`rotate-keys failed: ${describeRotateError(error)}`, EXIT.error);
      } finally {
        process.off('SIGINT', abort);
      }
    },
  },
];
