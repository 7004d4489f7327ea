import { listAll, notHangar, type ApiClient } from './client.ts';
import type { CommandContext } from './command.ts';
import { CliError, EXIT } from './errors.ts';
import type { Output } from './output.ts';

export interface Flag {
  code: string;
  severity: 'warn' | 'reject';
  message: string;
}

/** A deployment as the API shows it (GET /v1/deployments/{id}). */
export interface Deployment {
  id: string;
  teamId: string;
  name: string;
  package: string;
  version: string;
  requested: string;
  state: string;
  stateReason: string | null;
  desiredState: string;
  flags: Flag[];
  args: string[];
  env: Record<string, string>;
  secrets: string[];
  region: string;
  size: string;
  restartCount: number;
  lastExitCode: number | null;
  mcpUrl: string;
  /** The catalog template it was made from, if any. */
  template?: string | null;
  /** Required template fields still unset (state `awaiting_config`). */
  missingFields?: string[];
  usage: { requests: number; errors: number; lastUsedAt: string | null };
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentEvent {
  id: string;
  type: string;
  fromState: string | null;
  toState: string | null;
  reason: string;
  createdAt: string;
}

export const TEAM_OPTION = {
  team: { type: 'string', value: 'team', description: 'Team id or slug (default: HANGAR_TEAM, `hangar teams use`, or your personal team)' },
} as const;

/** The deployment `ref` names: an id (`dep_...`) directly, otherwise a name looked up in the team. */
export async function resolveDeployment(ctx: CommandContext, ref: string, teamFlag: string | undefined): Promise<Deployment> {
  const api = ctx.api();
  if (ref.startsWith('dep_')) return api.get<Deployment>(`/v1/deployments/${encodeURIComponent(ref)}`);
  const team = await ctx.resolveTeam(teamFlag);
  const all = await listAll<Deployment>(api, `/v1/teams/${encodeURIComponent(team)}/deployments`);
  const found = all.find((d) => d.name === ref);
  if (!found) throw new CliError(`No deployment named "${ref}" in team ${team}`, EXIT.notFound);
  return found;
}

/** Reads the events after `cursor`; returns them with the cursor to continue from. */
export async function readEvents(api: ApiClient, id: string, cursor: string | undefined): Promise<{ events: DeploymentEvent[]; cursor: string | undefined }> {
  const page = await api.get<{ data: DeploymentEvent[]; nextCursor: string | null }>(`/v1/deployments/${encodeURIComponent(id)}/events`, { cursor, limit: 200 });
  if (!Array.isArray(page?.data)) throw notHangar(api.baseUrl, 200);
  return { events: page.data, cursor: page.nextCursor ?? cursor };
}

/** A state word coloured by how healthy it is. */
export function paintState(out: Output, state: string): string {
  if (state === 'running') return out.green(state);
  if (state === 'failed' || state === 'unhealthy') return out.red(state);
  if (state === 'stopped' || state === 'deleted') return out.dim(state);
  return out.yellow(state);
}

/** One event as a line: time, transition or type, reason. */
export function formatEvent(out: Output, e: DeploymentEvent): string {
  const what = e.fromState || e.toState ? `${e.fromState ?? '∅'} → ${paintState(out, e.toState ?? '?')}` : e.type;
  return `${out.dim(e.createdAt)}  ${what}${e.reason ? `  ${e.reason}` : ''}`;
}

/** Admission flags as lines, rejections first. */
export function formatFlags(out: Output, flags: Flag[]): string[] {
  return [...flags]
    .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'reject' ? -1 : 1))
    .map((f) => `  ${f.severity === 'reject' ? out.red('✗ reject') : out.yellow('! warn  ')} ${f.code}: ${f.message}`);
}
