import { z } from 'zod';
import type { Deployment } from '../../db/generated/client.ts';
import { forwardToRunner } from '../../mcp/forward.ts';
import type { Services } from '../../services.ts';
import { maskLine, type LogLine } from './log-lines.ts';

const RunnerLogsSchema = z.object({
  boot: z.string().max(64),
  lines: z.array(z.object({ seq: z.number().int(), time: z.string(), line: z.string() })).max(1000),
});

export interface RunnerRead {
  boot: string;
  lastSeq: number;
  lines: LogLine[];
}

const READ_TIMEOUT_MS = 3000;

/**
 * Reads the runner's stderr ring (`GET /logs` on the runner, with its token) through the same private
 * route as MCP traffic: on Fly the Flycast address pinned to the machine, locally the loopback port.
 * Undefined when the deployment has no runner now or it does not answer: its lines died with it.
 */
export async function readRunnerLines(
  services: Services,
  dep: Pick<Deployment, 'privateAddress' | 'machineId' | 'runnerTokenCipher' | 'runnerTokenKeyId'>,
  query: { tail: number; after?: number },
  signal?: AbortSignal,
): Promise<RunnerRead | undefined> {
  if (!dep.privateAddress) return undefined;
  const url = new URL('/logs', dep.privateAddress);
  url.searchParams.set('tail', String(query.tail));
  if (query.after) url.searchParams.set('after', String(query.after));
  const timeout = AbortSignal.timeout(READ_TIMEOUT_MS);
  try {
    const upstream = await forwardToRunner({
      url,
      method: 'GET',
      headers: new Headers({ accept: 'application/json' }),
      body: null,
      runnerToken: services.vault.decrypt({ ciphertext: dep.runnerTokenCipher, keyId: dep.runnerTokenKeyId }),
      instanceId: services.driver.kind === 'fly' ? (dep.machineId ?? undefined) : undefined,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      connectTimeoutMs: READ_TIMEOUT_MS,
    });
    if (upstream.status !== 200 || !upstream.body) {
      await upstream.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const parsed = RunnerLogsSchema.safeParse(await new Response(upstream.body).json());
    if (!parsed.success) return undefined;
    const { boot, lines } = parsed.data;
    return {
      boot,
      lastSeq: lines.at(-1)?.seq ?? query.after ?? 0,
      lines: lines.map((l) => ({ time: l.time, stream: 'stderr' as const, line: maskLine(l.line, services.secrets) })),
    };
  } catch {
    return undefined;
  }
}
