import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { JSONRPCNotification } from '@modelcontextprotocol/sdk/types.js';
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
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.once('close', onClose);
  // Progress for a request that asked for it (a progressToken, and an Accept that takes SSE) turns the
  // answer into an SSE stream at the first notification: progress events, then the response.
  const accept = headers.accept ?? '';
  const wantsProgress = classified.request.meta.progressToken !== undefined && accept.includes('text/event-stream');
  let streaming = false;
  const onProgress = wantsProgress
    ? (notification: JSONRPCNotification) => {
        if (!streaming) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        streaming = true;
        res.write(sseEvent(notification));
      }
    : undefined;
  const answer = await translator.handle(classified.request, gone.signal, onProgress);
  res.off('close', onClose);
  if (gone.signal.aborted) return true;
  const response = { jsonrpc: '2.0', id: classified.request.id, ...answer };
  if (streaming) res.end(sseEvent(response));
  else writeJson(res, 200, response);
  return true;
}

const sseEvent = (message: unknown): string => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** GET and DELETE are session operations: a 2026-07-28 client gets 405 (true), others go on (false). */
export function rejectStatelessBodyless(res: ServerResponse, headers: IncomingHttpHeaders): boolean {
  if (!isModernHeader(headers)) return false;
  writeRpcError(res, 405, -32000, 'Method not allowed: 2026-07-28 is POST-only', { allow: 'POST' });
  return true;
}
