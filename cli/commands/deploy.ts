import { randomUUID } from 'node:crypto';
import { listOption, numberOption, splitPair, stringOption, type Command, type CommandContext } from '../command.ts';
import { formatFlags, TEAM_OPTION, type Deployment, type Flag } from '../deployment.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { followDeployment } from '../follow.ts';
import { formatSnippets, mcpSnippets } from '../mcp-snippet.ts';

interface Verdict {
  ok: boolean;
  runtime: string;
  name: string;
  version: string;
  flags: Flag[];
  rejected?: { code: string; message: string };
}

/** A deployment name from a package spec: `npm:@acme/mcp-tools@^1` → `mcp-tools`. */
export function defaultName(spec: string): string {
  const bare = spec.replace(/^(npm|pypi):/, '');
  const withoutVersion = bare.startsWith('@') ? `@${bare.slice(1).split('@')[0]}` : (bare.split(/[@=<>!~ ;[]/)[0] ?? bare);
  const last = withoutVersion.split('/').pop() ?? withoutVersion;
  let name = last.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+/, '').slice(0, 40).replace(/-+$/, '');
  if (name.length < 2) name = `mcp-${name || 'server'}`;
  return name;
}

async function createMcpKey(ctx: CommandContext, dep: Deployment): Promise<string> {
  const created = await ctx.api().send<{ key: string }>('POST', '/v1/me/keys', { name: `mcp:${dep.name}`, scopes: ['mcp'], teamId: dep.teamId });
  return created.key;
}

export const deployCommands: Command[] = [
  {
    path: ['deploy'],
    summary: 'Deploy an MCP server from npm or PyPI and wait until it runs',
    usage: 'hangar deploy <npm:<pkg>[@range] | pypi:<pkg>[==ver]> [--name <name>] [--env K=V] [--secret K=CREDENTIAL] [options]',
    description:
      'Checks the package first (admission verdict and flags), creates the deployment, follows it until it runs or fails, ' +
      'then prints its MCP endpoint and client configs with a new key limited to MCP calls on this team. ' +
      'Secrets are referenced by credential name (`hangar secrets set`), so no value appears on the command line.',
    positionals: { min: 1, max: 1 },
    read: true,
    options: {
      name: { type: 'string', value: 'name', description: 'Deployment name (default: from the package name)' },
      env: { type: 'string', multiple: true, value: 'K=V', description: 'A non-secret environment variable' },
      secret: { type: 'string', multiple: true, value: 'K=CREDENTIAL', description: 'Set variable K from the stored credential CREDENTIAL' },
      arg: { type: 'string', multiple: true, value: 'arg', description: 'An extra argument for the server' },
      region: { type: 'string', value: 'region', description: 'Fly region, e.g. iad' },
      size: { type: 'string', value: 'size', description: 'shared-cpu-1x (default), shared-cpu-2x or performance-1x' },
      ...TEAM_OPTION,
      timeout: { type: 'string', value: 'seconds', description: 'How long to wait for it to run (default 300)' },
      interval: { type: 'string', value: 'ms', description: 'Polling interval in milliseconds (default 1000)' },
      detach: { type: 'boolean', description: 'Do not wait; print the deployment and return' },
      'no-mcp-key': { type: 'boolean', description: 'Do not create an MCP key; the snippet gets a placeholder' },
    },
    examples: [
      'hangar deploy npm:@modelcontextprotocol/server-everything',
      'hangar deploy npm:@modelcontextprotocol/server-github@^2025.4.0 --name github --secret GITHUB_PERSONAL_ACCESS_TOKEN=GITHUB_TOKEN',
      'hangar deploy pypi:mcp-server-fetch==2025.1.17 --env LOG_LEVEL=debug --region ams',
      'hangar deploy npm:@acme/tools --detach --json',
    ],
    async run(ctx, { values, positionals }) {
      const spec = positionals[0] ?? '';
      if (!/^(npm|pypi):\S+/.test(spec)) throw new UsageError('The package must start with npm: or pypi:, e.g. npm:@modelcontextprotocol/server-everything');
      const json = values.json === true;
      const out = ctx.out;
      const say = (text: string) => (json ? ctx.io.stderr.write(`${text}\n`) : out.line(text));
      const env = Object.fromEntries(listOption(values, 'env').map((p) => splitPair(p, '--env')));
      const secrets = Object.fromEntries(listOption(values, 'secret').map((p) => {
        const [k, credential] = splitPair(p, '--secret');
        return [k, { credential }];
      }));
      const timeoutMs = numberOption(values, 'timeout', 300) * 1000;
      const intervalMs = Math.max(50, numberOption(values, 'interval', 1000));
      const api = ctx.api();
      const team = await ctx.resolveTeam(stringOption(values, 'team'));

      const verdict = await api.send<Verdict>('POST', '/v1/packages/validate', { package: spec });
      const pinned = `${verdict.runtime}:${verdict.name}${verdict.runtime === 'npm' ? '@' : '=='}${verdict.version}`;
      say(`${verdict.ok ? out.green('✓') : out.red('✗')} ${out.bold(pinned)} ${verdict.ok ? 'admitted' : 'rejected'}`);
      for (const line of formatFlags(out, verdict.flags)) say(line);
      if (!verdict.ok) throw new CliError(`Not deployable: ${verdict.rejected?.message ?? 'rejected by admission'}`, EXIT.error);

      const body = {
        name: stringOption(values, 'name') ?? defaultName(spec),
        package: spec,
        args: listOption(values, 'arg'),
        env,
        secrets,
        region: stringOption(values, 'region'),
        size: stringOption(values, 'size'),
      };
      const created = await api.send<Deployment>('POST', `/v1/teams/${encodeURIComponent(team)}/deployments`, body, { 'idempotency-key': randomUUID() });
      say(`Deploying ${out.bold(created.name)} (${created.id}) in ${created.region}, ${created.size}`);
      if (values.detach) {
        if (json) out.json({ verdict, deployment: created });
        return;
      }
      const tty = json ? ctx.io.stderr.isTTY === true : ctx.io.stdout.isTTY === true;
      const write = (text: string) => void (json ? ctx.io.stderr : ctx.io.stdout).write(text);
      const { outcome, deployment } = await followDeployment(created.id, { api, out, write, tty, timeoutMs, intervalMs });
      const dep = deployment ?? created;
      if (outcome === 'timeout') {
        if (json) out.json({ verdict, deployment: dep });
        throw new CliError(`Still ${dep.state} after ${timeoutMs / 1000} s; it keeps going: \`hangar status ${dep.id}\``, EXIT.error);
      }
      if (outcome !== 'running') {
        if (json) out.json({ verdict, deployment: dep });
        throw new CliError(`${dep.name} is ${dep.state}${dep.stateReason ? `: ${dep.stateReason}` : ''} (see \`hangar events ${dep.id}\`)`, EXIT.error);
      }
      const token = values['no-mcp-key'] ? '<HANGAR_API_KEY with the mcp scope>' : await createMcpKey(ctx, dep);
      const snippets = mcpSnippets(dep.name, dep.mcpUrl, token);
      if (json) return void out.json({ verdict, deployment: dep, mcp: { url: dep.mcpUrl, ...snippets } });
      out.line(`${out.green('✓')} ${out.bold(dep.name)} is running (${dep.package})`);
      out.line('');
      out.line(`MCP endpoint: ${out.bold(dep.mcpUrl)}`);
      if (!values['no-mcp-key']) out.line(out.dim(`A new API key "mcp:${dep.name}" (MCP calls on this team only) is in the configs below; it is shown only now.`));
      out.line('');
      out.line(formatSnippets(snippets));
    },
  },
];
