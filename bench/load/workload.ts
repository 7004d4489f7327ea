import { performance } from 'node:perf_hooks';
import { jsonRequest, type HttpUser } from '../../test/faults/http-user.ts';
import type { LoadRecorder } from './stats.ts';

/** One load user's view of what it owns, kept by the workers so requests target real resources. */
export interface LoadUser {
  user: HttpUser;
  /** Live deployments (not yet asked to be deleted). */
  deployments: string[];
  /** Credentials made by the run besides LOAD_TOKEN (deleted again to stay bounded). */
  extraCredentials: string[];
  serial: number;
}

/** How an operation is sent and which answers it expects. */
interface Operation {
  op: string;
  method: string;
  path: string;
  body?: unknown;
  /** The success statuses (anything else 2xx counts as an error too: the API promises exact statuses). */
  ok: number[];
  /** Refusals the racing workload makes legitimately (e.g. 409 start on a deployment being deleted). */
  refused?: number[];
  after?: (status: number, body: unknown) => void;
}

/** Relative weights of the mix: reads 50, writes 38, package validations 12. */
const WEIGHTS: Array<[string, number]> = [
  ['list deployments', 14], ['get deployment', 8], ['get events', 10], ['get me', 10], ['list credentials', 8],
  ['replace credential', 8], ['create credential', 4], ['delete credential', 4],
  ['create deployment', 7], ['stop deployment', 6], ['start deployment', 6], ['delete deployment', 3],
  ['validate package', 12],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

function pick(random: () => number): string {
  let r = random() * TOTAL_WEIGHT;
  for (const [name, weight] of WEIGHTS) {
    r -= weight;
    if (r < 0) return name;
  }
  return WEIGHTS[0]![0];
}

/** The package every load deployment and validation names (published on the fake npm registry). */
export const LOAD_PACKAGE = '@acme/mcp-tools';

function operationFor(kind: string, u: LoadUser, maxDeployments: number, random: () => number): Operation {
  const team = `/v1/teams/${u.user.teamId}`;
  const dep = u.deployments[Math.floor(random() * u.deployments.length)];
  const remove = (list: string[], id: string) => list.splice(list.indexOf(id), 1);
  if (!dep && ['get deployment', 'get events', 'stop deployment', 'start deployment', 'delete deployment'].includes(kind)) kind = 'create deployment';
  if (kind === 'create deployment' && u.deployments.length >= maxDeployments) kind = 'delete deployment';
  if (kind === 'delete credential' && u.extraCredentials.length === 0) kind = 'create credential';
  switch (kind) {
    case 'list deployments': return { op: kind, method: 'GET', path: `${team}/deployments?limit=50`, ok: [200] };
    case 'get deployment': return { op: kind, method: 'GET', path: `/v1/deployments/${dep}`, ok: [200] };
    case 'get events': return { op: kind, method: 'GET', path: `/v1/deployments/${dep}/events`, ok: [200] };
    case 'get me': return { op: kind, method: 'GET', path: '/v1/me', ok: [200] };
    case 'list credentials': return { op: kind, method: 'GET', path: `${team}/credentials`, ok: [200] };
    case 'replace credential': return { op: kind, method: 'PUT', path: `${team}/credentials/LOAD_TOKEN`, body: { value: `tok-${u.serial++}-${random()}` }, ok: [200] };
    case 'create credential': {
      const name = `LOAD_EXTRA_${u.serial++}`;
      return { op: kind, method: 'POST', path: `${team}/credentials`, body: { name, value: `v-${random()}` }, ok: [201], after: (s) => s === 201 && u.extraCredentials.push(name) };
    }
    case 'delete credential': {
      const name = u.extraCredentials.shift()!;
      return { op: kind, method: 'DELETE', path: `${team}/credentials/${name}`, ok: [204] };
    }
    case 'create deployment': {
      const body = { name: `load-${u.serial++}`, package: `npm:${LOAD_PACKAGE}`, secrets: { API_TOKEN: { credential: 'LOAD_TOKEN' } } };
      return {
        op: kind, method: 'POST', path: `${team}/deployments`, body, ok: [202], refused: [422],
        after: (s, b) => s === 202 && u.deployments.push((b as { id: string }).id),
      };
    }
    case 'stop deployment': return { op: kind, method: 'POST', path: `/v1/deployments/${dep}/stop`, ok: [202], refused: [409] };
    case 'start deployment': return { op: kind, method: 'POST', path: `/v1/deployments/${dep}/start`, ok: [202], refused: [409] };
    case 'delete deployment': {
      remove(u.deployments, dep!);
      return { op: kind, method: 'DELETE', path: `/v1/deployments/${dep}`, ok: [202], refused: [409] };
    }
    default: return { op: 'validate package', method: 'POST', path: '/v1/packages/validate', body: { package: `npm:${LOAD_PACKAGE}` }, ok: [200] };
  }
}

/**
 * A closed-loop worker: picks an operation from the mix for a random user, sends it to `base` (loopback
 * only), records latency and outcome, and goes on until `until` (ms since the epoch).
 */
export async function runWorker(options: { base: string; users: LoadUser[]; until: number; maxDeployments: number; recorder: LoadRecorder; random: () => number }): Promise<void> {
  const { base, users, recorder, random } = options;
  if (new URL(base).hostname !== '127.0.0.1') throw new Error('the load run only sends traffic to 127.0.0.1');
  while (Date.now() < options.until) {
    const u = users[Math.floor(random() * users.length)]!;
    const o = operationFor(pick(random), u, options.maxDeployments, random);
    const started = performance.now();
    let status = 0;
    let text = '';
    try {
      const res = await fetch(`${base}${o.path}`, o.body === undefined ? { method: o.method, headers: u.user.headers } : jsonRequest(o.method, u.user.headers, o.body));
      status = res.status;
      text = await res.text();
    } catch (error) {
      text = String(error);
    }
    const ms = performance.now() - started;
    const outcome = o.ok.includes(status) ? 'ok' : o.refused?.includes(status) ? 'refused' : 'error';
    recorder.record(o.op, ms, outcome, status, text);
    if (o.after && outcome === 'ok') o.after(status, JSON.parse(text) as unknown);
  }
}
