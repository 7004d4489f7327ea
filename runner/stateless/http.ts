import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { writeJson, writeRpcError } from '../http-body.ts';
import { classify, isModernHeader } from './classify.ts';
import type { StatelessTranslator } from './translator.ts';

/**
 * The runner's hook for 2026-07-28 POSTs: answers (and returns true) when the body is stateless traffic
 * (a stray `Mcp-Session-Id` is ignored), else returns false and the session transport handles it as before.
 */
export async function serveStatelessPost(res: ServerResponse, headers: IncomingHttpHeaders, body: unknown, translator: StatelessTranslator): Promise<boolean> {
  const classified = classify(headers, body);
  if (classified.kind === 'legacy') return false;
  if (classified.kind === 'reject') {
    const error = { code: classified.code, message: classified.message, ...(classified.data ? { data: classified.data } : {}) };
    const id = (body as { id?: unknown } | null)?.id;
    writeJson(res, classified.status, { jsonrpc: '2.0', id: typeof id === 'string' || typeof id === 'number' ? id : null, error });
    return true;
  }
  if (classified.kind === 'notification') {
    res.writeHead(202).end();
    return true;
  }
  const answer = await translator.handle(classified.request);
  writeJson(res, 200, { jsonrpc: '2.0', id: classified.request.id, ...answer });
  return true;
}

/** GET and DELETE are session operations: a 2026-07-28 client gets 405 (true), others go on (false). */
export function rejectStatelessBodyless(res: ServerResponse, headers: IncomingHttpHeaders): boolean {
  if (!isModernHeader(headers)) return false;
  writeRpcError(res, 405, -32000, 'Method not allowed: 2026-07-28 is POST-only', { allow: 'POST' });
  return true;
}
