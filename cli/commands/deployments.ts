import { listAll } from '../client.ts';
import { numberOption, stringOption, type Command, type CommandContext, type OptionValues } from '../command.ts';
import { formatEvent, formatFlags, paintState, readEvents, resolveDeployment, TEAM_OPTION, type Deployment } from '../deployment.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { followDeployment } from '../follow.ts';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

const WAIT_OPTIONS = {
  wait: { type: 'boolean', description: 'Wait until the change is done' },
  timeout: { type: 'string', value: 'seconds', description: 'How long --wait waits (default 120)' },
  interval: { type: 'string', value: 'ms', description: 'Polling interval in milliseconds (default 1000)' },
} as const;

/** The cursor after a deployment's last event, so a follow prints only what happens next. */
async function lastEventCursor(ctx: CommandContext, id: string): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const next = await readEvents(ctx.api(), id, cursor);
    cursor = next.cursor;
    if (next.events.length < 200) break;
  }
  return cursor;
}

/** Sends a lifecycle request and, with --wait, follows the deployment to the state it asked for. */
async function lifecycle(ctx: CommandContext, values: OptionValues, ref: string, action: 'start' | 'stop' | 'restart' | 'delete'): Promise<number | void> {
  const dep = await resolveDeployment(ctx, ref, stringOption(values, 'team'));
  const api = ctx.api();
  const cursor = values.wait ? await lastEventCursor(ctx, dep.id) : undefined;
  const path = `/v1/deployments/${encodeURIComponent(dep.id)}`;
  const updated = action === 'delete' ? await api.send<Deployment>('DELETE', path) : await api.send<Deployment>('POST', `${path}/${action}`);
  const verb = { start: 'Starting', stop: 'Stopping', restart: 'Restarting', delete: 'Deleting' }[action];
  ctx.out.line(`${ctx.out.green('✓')} ${verb} ${ctx.out.bold(updated.name)} (${updated.id}); desired state: ${updated.desiredState}`);
  if (!values.wait) return;
  const target = action === 'delete' ? 'deleted' : action === 'stop' ? 'stopped' : 'running';
  const { outcome, deployment } = await followDeployment(updated.id, {
    api, out: ctx.out, write: (t) => void ctx.io.stdout.write(t), tty: ctx.io.stdout.isTTY === true,
    cursor, timeoutMs: numberOption(values, 'timeout', 120) * 1000, intervalMs: Math.max(50, numberOption(values, 'interval', 1000)), target,
    // A restart is done when the reconciler has restarted (or, for a failed one, re-created) the machine.
    ...(action === 'restart' ? { requireEvent: ['restarted', 'machine_created'] } : {}),
  });
  if (outcome !== target) throw new CliError(`${updated.name} is ${deployment?.state ?? outcome}${outcome === 'timeout' ? ' (timed out)' : ''}`, EXIT.error);
  ctx.out.line(`${ctx.out.green('✓')} ${updated.name} is ${outcome}`);
}

const lifecycleCommand = (action: 'start' | 'stop' | 'restart', summary: string): Command => ({
  path: [action],
  summary,
  usage: `hangar ${action} <name|id> [--wait] [--team <team>]`,
  positionals: { min: 1, max: 1 },
  options: { ...TEAM_OPTION, ...WAIT_OPTIONS },
  examples: [`hangar ${action} github-tools`, `hangar ${action} dep_0123456789abcdef --wait`],
  run: (ctx, { values, positionals }) => lifecycle(ctx, values, positionals[0] ?? '', action),
});

export const deploymentCommands: Command[] = [
  {
    path: ['ls'],
    summary: "List the team's deployments",
    usage: 'hangar ls [--team <team>] [--state <state>] [--json]',
    read: true,
    options: { ...TEAM_OPTION, state: { type: 'string', value: 'state', description: 'Only deployments in this state (running, failed, ...)' } },
    examples: ['hangar ls', 'hangar ls --state running --json'],
    async run(ctx, { values }) {
      const team = await ctx.resolveTeam(stringOption(values, 'team'));
      const rows = await listAll<Deployment>(ctx.api(), `/v1/teams/${encodeURIComponent(team)}/deployments`, { state: stringOption(values, 'state') });
      if (values.json) return void ctx.out.json(rows);
      ctx.out.table(
        rows.map((d) => ({ ...d, state: paintState(ctx.out, d.state), requests: d.usage.requests })),
        [
          { key: 'name', title: 'NAME' }, { key: 'state', title: 'STATE' }, { key: 'package', title: 'PACKAGE' }, { key: 'region', title: 'REGION' },
          { key: 'requests', title: 'REQUESTS' }, { key: 'id', title: 'ID' }, { key: 'createdAt', title: 'CREATED' },
        ],
      );
    },
  },
  {
    path: ['status'],
    summary: 'Show one deployment',
    usage: 'hangar status <name|id> [--team <team>] [--json]',
    read: true,
    positionals: { min: 1, max: 1 },
    options: TEAM_OPTION,
    examples: ['hangar status github-tools', 'hangar status dep_0123456789abcdef --json'],
    async run(ctx, { values, positionals }) {
      const d = await resolveDeployment(ctx, positionals[0] ?? '', stringOption(values, 'team'));
      if (values.json) return void ctx.out.json(d);
      const { out } = ctx;
      const rows: Array<[string, string]> = [
        ['name', out.bold(d.name)], ['id', d.id], ['state', `${paintState(out, d.state)}${d.stateReason ? ` (${d.stateReason})` : ''}`],
        ['desired', d.desiredState], ['package', d.package], ['requested', d.requested], ['region', `${d.region}, ${d.size}`],
        ['mcp', d.mcpUrl], ['env', Object.keys(d.env).join(', ') || '-'], ['secrets', d.secrets.join(', ') || '-'],
        ['restarts', `${d.restartCount}${d.lastExitCode !== null ? ` (last exit ${d.lastExitCode})` : ''}`],
        ['requests', `${d.usage.requests} (${d.usage.errors} errors)${d.usage.lastUsedAt ? `, last ${d.usage.lastUsedAt}` : ''}`],
        ['created', d.createdAt], ['updated', d.updatedAt],
      ];
      for (const [k, v] of rows) out.line(`${out.dim(k.padEnd(10))} ${v}`);
      if (d.flags.length) out.line(`${out.dim('flags')}\n${formatFlags(out, d.flags).join('\n')}`);
    },
  },
  {
    path: ['events'],
    summary: "A deployment's state changes, restarts and exits, with reasons",
    usage: 'hangar events <name|id> [--follow] [--team <team>] [--json]',
    read: true,
    positionals: { min: 1, max: 1 },
    options: { ...TEAM_OPTION, follow: { type: 'boolean', short: 'f', description: 'Keep printing new events until Ctrl-C' }, interval: WAIT_OPTIONS.interval },
    examples: ['hangar events github-tools', 'hangar events dep_0123456789abcdef --follow', 'hangar events github-tools --json'],
    async run(ctx, { values, positionals }) {
      const dep = await resolveDeployment(ctx, positionals[0] ?? '', stringOption(values, 'team'));
      const api = ctx.api();
      const json = values.json === true;
      const controller = new AbortController();
      const stop = () => controller.abort();
      if (values.follow) process.once('SIGINT', stop);
      let cursor: string | undefined;
      const all = [];
      try {
        for (;;) {
          const page = await readEvents(api, dep.id, cursor);
          cursor = page.cursor;
          for (const e of page.events) {
            if (json && values.follow) ctx.io.stdout.write(`${JSON.stringify(e)}\n`);
            else if (json) all.push(e);
            else ctx.out.line(formatEvent(ctx.out, e));
          }
          if (page.events.length === 200) continue;
          if (!values.follow || controller.signal.aborted) break;
          await sleep(Math.max(50, numberOption(values, 'interval', 1000)), controller.signal);
          if (controller.signal.aborted) break;
        }
      } finally {
        process.off('SIGINT', stop);
      }
      if (json && !values.follow) ctx.out.json(all);
    },
  },
  lifecycleCommand('start', 'Start a stopped or failed deployment'),
  lifecycleCommand('stop', 'Stop a deployment (its machine is kept)'),
  lifecycleCommand('restart', "Restart a deployment's machine"),
  {
    path: ['rm'],
    summary: 'Delete a deployment, its machine and its secrets',
    usage: 'hangar rm <name|id> [--yes] [--wait] [--team <team>]',
    positionals: { min: 1, max: 1 },
    options: { ...TEAM_OPTION, yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation' }, ...WAIT_OPTIONS },
    examples: ['hangar rm github-tools', 'hangar rm dep_0123456789abcdef --yes'],
    async run(ctx, { values, positionals }) {
      const ref = positionals[0] ?? '';
      if (!values.yes) {
        if (!ctx.prompt.interactive) throw new UsageError('Refusing to delete without confirmation: pass --yes');
        const dep = await resolveDeployment(ctx, ref, stringOption(values, 'team'));
        if (!(await ctx.prompt.confirm(`Delete ${dep.name} (${dep.id})? Its machine and secrets are destroyed.`))) {
          ctx.out.line('Not deleted.');
          return EXIT.error;
        }
      }
      return lifecycle(ctx, values, ref, 'delete');
    },
  },
];
