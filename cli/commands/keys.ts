import { listOption, numberOption, stringOption, type Command } from '../command.ts';
import { writeStoredConfig } from '../config.ts';
import { UsageError } from '../errors.ts';

interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  teamId: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

const SCOPES = ['read', 'write', 'mcp', 'admin'];

function status(key: ApiKey, now: number): string {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return key.expiresAt ? `expires ${key.expiresAt}` : 'active';
}

export const keyCommands: Command[] = [
  {
    path: ['keys', 'ls'],
    summary: 'List your API keys (never the keys themselves)',
    usage: 'hangar keys ls [--json]',
    read: true,
    examples: ['hangar keys ls', 'hangar keys ls --json'],
    async run(ctx, { values }) {
      const keys = await ctx.api().get<{ data: ApiKey[] }>('/v1/me/keys');
      if (values.json) return void ctx.out.json(keys.data);
      const now = Date.now();
      ctx.out.table(
        keys.data.map((k) => ({ ...k, current: k.id === ctx.config.stored.keyId && !ctx.config.keyFromEnv ? '*' : '', status: status(k, now), prefix: `${k.prefix}…` })),
        [
          { key: 'current', title: ' ' }, { key: 'id', title: 'ID' }, { key: 'name', title: 'NAME' }, { key: 'prefix', title: 'KEY' },
          { key: 'scopes', title: 'SCOPES' }, { key: 'teamId', title: 'TEAM' }, { key: 'lastUsedAt', title: 'LAST USED' }, { key: 'status', title: 'STATUS' },
        ],
      );
    },
  },
  {
    path: ['keys', 'create'],
    summary: 'Create an API key; it is shown once',
    usage: 'hangar keys create --name <name> [--scope read ...] [--team <team>] [--expires <iso-date>] [--json]',
    read: true,
    options: {
      name: { type: 'string', value: 'name', description: 'What the key is for' },
      scope: { type: 'string', multiple: true, value: 'scope', description: 'read, write, mcp (MCP calls only) or admin (default: read and write)' },
      team: { type: 'string', value: 'team', description: 'Narrow the key to one team (id or slug)' },
      expires: { type: 'string', value: 'iso-date', description: 'Expiry, e.g. 2027-01-01T00:00:00Z' },
    },
    examples: ['hangar keys create --name ci --scope read --scope write', 'hangar keys create --name claude --scope mcp --team acme'],
    async run(ctx, { values }) {
      const name = stringOption(values, 'name');
      if (!name) throw new UsageError('--name is required');
      const scopes = listOption(values, 'scope');
      for (const s of scopes) if (!SCOPES.includes(s)) throw new UsageError(`--scope must be one of ${SCOPES.join(', ')}`);
      const teamFlag = stringOption(values, 'team');
      const teamId = teamFlag ? (await ctx.api().get<{ id: string }>(`/v1/teams/${encodeURIComponent(teamFlag)}`)).id : undefined;
      const created = await ctx.api().send<ApiKey & { key: string }>('POST', '/v1/me/keys', {
        name, scopes: scopes.length ? scopes : ['read', 'write'], teamId, expiresAt: stringOption(values, 'expires'),
      });
      if (values.json) return void ctx.out.json(created);
      ctx.out.line(`${ctx.out.green('✓')} Created key ${created.id} (${created.scopes.join(', ')}). It is shown only now:`);
      ctx.out.line(created.key);
    },
  },
  {
    path: ['keys', 'revoke'],
    summary: 'Revoke an API key at once',
    usage: 'hangar keys revoke <key-id>',
    positionals: { min: 1, max: 1 },
    examples: ['hangar keys revoke key_0123456789abcdef'],
    async run(ctx, { positionals }) {
      const id = positionals[0] ?? '';
      await ctx.api().send('DELETE', `/v1/me/keys/${encodeURIComponent(id)}`);
      ctx.out.line(`${ctx.out.green('✓')} Revoked ${id}`);
      if (id === ctx.config.stored.keyId) ctx.out.warn('That was the key this CLI uses: run `hangar login` again.');
    },
  },
  {
    path: ['keys', 'rotate'],
    summary: 'Replace a key; the old one keeps working for a grace period',
    usage: 'hangar keys rotate <key-id> [--grace <seconds>] [--json]',
    read: true,
    positionals: { min: 1, max: 1 },
    options: { grace: { type: 'string', value: 'seconds', description: 'How long the old key stays valid (default 3600, max 86400)' } },
    examples: ['hangar keys rotate key_0123456789abcdef --grace 600'],
    async run(ctx, { values, positionals }) {
      const id = positionals[0] ?? '';
      const grace = Math.round(numberOption(values, 'grace', 3600));
      const created = await ctx.api().send<ApiKey & { key: string }>('POST', `/v1/me/keys/${encodeURIComponent(id)}/rotate`, { gracePeriodSeconds: grace });
      const isOwn = id === ctx.config.stored.keyId && !ctx.config.keyFromEnv;
      if (isOwn) writeStoredConfig(ctx.configPath, { ...ctx.config.stored, apiKey: created.key, keyId: created.id });
      if (values.json) return void ctx.out.json(created);
      ctx.out.line(`${ctx.out.green('✓')} Rotated ${id} → ${created.id}; the old key stops working in ${grace} s.`);
      if (isOwn) ctx.out.line('This CLI now uses the new key.');
      else ctx.out.line(created.key);
    },
  },
];
