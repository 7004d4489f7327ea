import type { Command } from '../command.ts';
import type { GrantView } from '../../api/oauth/routes-grants-list.ts';

/** `hangar grants ls` and `hangar grants revoke`: the OAuth logins MCP clients (Claude, ChatGPT, VS Code) hold. */
export const grantCommands: Command[] = [
  {
    path: ['grants', 'ls'],
    summary: 'List the MCP clients you signed in to your deployments with OAuth',
    usage: 'hangar grants ls [--json]',
    read: true,
    examples: ['hangar grants ls', 'hangar grants ls --json'],
    async run(ctx, { values }) {
      const grants = await ctx.api().get<{ data: GrantView[] }>('/v1/me/grants');
      if (values.json) return void ctx.out.json(grants.data);
      if (grants.data.length === 0) return void ctx.out.line('No MCP client holds an OAuth grant of yours.');
      ctx.out.table(
        grants.data.map((g) => ({ ...g, scopes: g.scopes.join(' '), lastUsedAt: g.lastUsedAt ?? 'never' })),
        [
          { key: 'id', title: 'ID' }, { key: 'clientName', title: 'CLIENT' }, { key: 'deploymentName', title: 'DEPLOYMENT' },
          { key: 'scopes', title: 'SCOPES' }, { key: 'createdAt', title: 'GRANTED' }, { key: 'lastUsedAt', title: 'LAST USED' },
        ],
      );
    },
  },
  {
    path: ['grants', 'revoke'],
    summary: 'Revoke an OAuth grant: the client’s access and refresh tokens stop working at once',
    usage: 'hangar grants revoke <grant-id>',
    positionals: { min: 1, max: 1 },
    examples: ['hangar grants revoke ogr_0123456789abcdef'],
    async run(ctx, { positionals }) {
      const id = positionals[0] ?? '';
      await ctx.api().send('DELETE', `/v1/me/grants/${encodeURIComponent(id)}`);
      ctx.out.line(`${ctx.out.green('✓')} Revoked ${id}; that client must sign in again.`);
    },
  },
];
