import { numberOption, type CommandContext, type OptionValues } from './command.ts';
import type { Deployment } from './deployment.ts';
import { CliError, EXIT } from './errors.ts';
import { followDeployment } from './follow.ts';
import { formatLogLine, readLogLines } from './commands/logs.ts';
import { formatSnippets, mcpSnippets } from './mcp-snippet.ts';

async function createMcpKey(ctx: CommandContext, dep: Deployment): Promise<string> {
  const created = await ctx.api().send<{ key: string }>('POST', '/v1/me/keys', { name: `mcp:${dep.name}`, scopes: ['mcp'], teamId: dep.teamId });
  return created.key;
}

/** Lines a failed start prints: the server's own last words usually say why. */
const FAILED_TAIL = 20;

/** On a failed start, the server's last stderr lines (and Hangar's), to stderr; nothing when logs cannot be read. */
async function printLastLines(ctx: CommandContext, id: string): Promise<void> {
  const lines = await readLogLines(ctx, id, FAILED_TAIL).catch(() => []);
  if (lines.length === 0) return;
  ctx.io.stderr.write(`Last lines (\`hangar logs ${id}\` for more):\n${lines.map((l) => `  ${formatLogLine(ctx.out, l)}`).join('\n')}\n`);
}

/**
 * After a deployment is created: with --detach prints it and returns, otherwise follows it until it runs
 * (events as they come) and prints its MCP endpoint and client configs. `extra` joins the --json output.
 */
export async function followAndReport(ctx: CommandContext, created: Deployment, values: OptionValues, extra: Record<string, unknown>): Promise<void> {
  const out = ctx.out;
  const json = values.json === true;
  const api = ctx.api();
  const timeoutMs = numberOption(values, 'timeout', 300) * 1000;
  const intervalMs = Math.max(50, numberOption(values, 'interval', 1000));
  if (values.detach) {
    if (json) out.json({ ...extra, deployment: created });
    return;
  }
  const tty = json ? ctx.io.stderr.isTTY === true : ctx.io.stdout.isTTY === true;
  const write = (text: string) => void (json ? ctx.io.stderr : ctx.io.stdout).write(text);
  const { outcome, deployment } = await followDeployment(created.id, { api, out, write, tty, timeoutMs, intervalMs });
  const dep = deployment ?? created;
  if (outcome === 'timeout') {
    if (json) out.json({ ...extra, deployment: dep });
    throw new CliError(`Still ${dep.state} after ${timeoutMs / 1000} s; it keeps going: \`hangar status ${dep.id}\``, EXIT.error);
  }
  if (outcome !== 'running') {
    if (json) out.json({ ...extra, deployment: dep });
    if (outcome === 'failed') await printLastLines(ctx, dep.id);
    throw new CliError(`${dep.name} is ${dep.state}${dep.stateReason ? `: ${dep.stateReason}` : ''} (see \`hangar events ${dep.id}\`)`, EXIT.error);
  }
  const token = values['no-mcp-key'] ? '<HANGAR_API_KEY with the mcp scope>' : await createMcpKey(ctx, dep);
  const snippets = mcpSnippets(dep.name, dep.mcpUrl, token);
  if (json) return void out.json({ ...extra, deployment: dep, mcp: { url: dep.mcpUrl, connectorUrl: dep.mcpUrl, ...snippets } });
  out.line(`${out.green('✓')} ${out.bold(dep.name)} is running (${dep.package})`);
  out.line('');
  out.line(`MCP endpoint: ${out.bold(dep.mcpUrl)}`);
  out.line(`Connector URL (Claude, ChatGPT, VS Code: paste it, then sign in in the browser): ${out.bold(dep.mcpUrl)}`);
  if (!values['no-mcp-key']) out.line(out.dim(`A new API key "mcp:${dep.name}" (MCP calls on this team only) is in the configs below; it is shown only now.`));
  out.line('');
  out.line(formatSnippets(snippets));
}
