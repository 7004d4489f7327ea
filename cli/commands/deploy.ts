import { randomUUID } from 'node:crypto';
import { listOption, splitPair, stringOption, type Command } from '../command.ts';
import { followAndReport } from '../deploy-report.ts';
import { formatFlags, TEAM_OPTION, type Deployment, type Flag } from '../deployment.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { deployTemplate } from '../template-deploy.ts';

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

export const deployCommands: Command[] = [
  {
    path: ['deploy'],
    summary: 'Deploy an MCP server from npm, PyPI or the catalog and wait until it runs',
    usage: 'hangar deploy <npm:<pkg>[@range] | pypi:<pkg>[==ver] | <template>> [--name <name>] [--env K=V] [--secret K=CREDENTIAL] [--set FIELD=VALUE] [options]',
    description:
      'A bare name is a catalog template (`hangar catalog ls`): required fields without a value are asked for (secrets hidden), ' +
      'fields only a team admin may set are named with the `hangar catalog set` command to run, and a deployment still missing ' +
      'values is created waiting (awaiting_config) and not followed. ' +
      'A package is checked first (admission verdict and flags); then the deployment is created and followed until it runs or fails, ' +
      'then prints its MCP endpoint and client configs with a new key limited to MCP calls on this team. ' +
      'Secrets are referenced by credential name (`hangar secrets set`), so no value appears on the command line.',
    positionals: { min: 1, max: 1 },
    read: true,
    options: {
      name: { type: 'string', value: 'name', description: 'Deployment name (default: from the package name)' },
      env: { type: 'string', multiple: true, value: 'K=V', description: 'A non-secret environment variable' },
      secret: { type: 'string', multiple: true, value: 'K=CREDENTIAL', description: 'Set variable K from the stored credential CREDENTIAL' },
      arg: { type: 'string', multiple: true, value: 'arg', description: 'An extra argument for the server' },
      set: { type: 'string', multiple: true, value: 'FIELD=VALUE', description: 'Templates: a value for a non-secret field of yours, for this deployment' },
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
      'hangar deploy github --name gh           # from the catalog; asks for the token (hidden)',
      'hangar deploy slack --set SLACK_CHANNEL_IDS=C0123,C0456',
    ],
    async run(ctx, { values, positionals }) {
      const spec = positionals[0] ?? '';
      if (!/^(npm|pypi):/.test(spec)) {
        if (!/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/.test(spec)) throw new UsageError('Give a package (npm:<pkg> or pypi:<pkg>) or a catalog template slug (`hangar catalog ls`)');
        return deployTemplate(ctx, spec, values);
      }
      if (!/^(npm|pypi):\S+/.test(spec)) throw new UsageError('The package must start with npm: or pypi:, e.g. npm:@modelcontextprotocol/server-everything');
      if (listOption(values, 'set').length > 0) throw new UsageError('--set is for catalog templates; a package takes --env and --secret');
      const json = values.json === true;
      const out = ctx.out;
      const say = (text: string) => (json ? ctx.io.stderr.write(`${text}\n`) : out.line(text));
      const env = Object.fromEntries(listOption(values, 'env').map((p) => splitPair(p, '--env')));
      const secrets = Object.fromEntries(listOption(values, 'secret').map((p) => {
        const [k, credential] = splitPair(p, '--secret');
        return [k, { credential }];
      }));
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
      await followAndReport(ctx, created, values, { verdict });
    },
  },
];
