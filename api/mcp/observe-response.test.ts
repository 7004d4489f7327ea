import { describe, expect, it } from 'vitest';
import { createLogger } from '../platform/logger.ts';
import { systemClock } from '../platform/clock.ts';
import { CallLog, DEFAULT_CALL_LOG_SETTINGS, type CallRow } from './call-log.ts';
import { inspectRequest, refusedToolCall } from './inspect-request.ts';
import { observeResponse, type CallOutcome } from './observe-response.ts';
import { globMatches, isToolAllowed } from './tool-policy.ts';

/** A body that arrives in the given chunks. */
const chunked = (parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
      controller.close();
    },
  });

async function run(parts: string[], options: { eventStream: boolean; status?: number; deny?: string[] }): Promise<{ text: string; outcome: CallOutcome | undefined }> {
  let outcome: CallOutcome | undefined;
  const body = observeResponse(chunked(parts), { eventStream: options.eventStream, status: options.status ?? 200, filter: options.deny ? { kind: 'deny', patterns: options.deny } : undefined, settled: (o) => (outcome = o) });
  return { text: await new Response(body).text(), outcome };
}

const list = JSON.stringify({ jsonrpc: '2.0', id: 2, result: { tools: [{ name: 'echo' }, { name: 'delete_all' }, { name: 'delete-one' }] } });

describe('tool policy patterns', () => {
  it('match whole names with * and ?', () => {
    expect(globMatches('delete_*', 'delete_all')).toBe(true);
    expect(globMatches('delete_*', 'xdelete_all')).toBe(false);
    expect(globMatches('get-?', 'get-a')).toBe(true);
    expect(globMatches('get-?', 'get-ab')).toBe(false);
    expect(globMatches('*', '')).toBe(true);
    expect(globMatches('a*b*c', 'aXbYc')).toBe(true);
    expect(globMatches('a*b*c', 'aXbY')).toBe(false);
    expect(isToolAllowed({ kind: 'allow', patterns: [] }, 'echo')).toBe(false);
    expect(isToolAllowed({ kind: 'deny', patterns: ['ec*'] }, 'echo')).toBe(false);
    expect(isToolAllowed(undefined, 'echo')).toBe(true);
  });

  it('refuse a tools/call by its body name or its Mcp-Name header', () => {
    const body = (name: string) => new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name } }));
    const policy = { kind: 'deny' as const, patterns: ['exit'] };
    expect(refusedToolCall(inspectRequest('POST', new Headers(), body('exit')), policy)).toEqual({ id: 5, tool: 'exit' });
    expect(refusedToolCall(inspectRequest('POST', new Headers({ 'mcp-name': `=?base64?${Buffer.from('exit').toString('base64')}?=` }), body('echo')), policy)).toEqual({ id: 5, tool: 'exit' });
    expect(refusedToolCall(inspectRequest('POST', new Headers(), body('echo')), policy)).toBeUndefined();
    expect(inspectRequest('POST', new Headers(), new TextEncoder().encode('not json'))).toMatchObject({ method: 'invalid', tool: null });
  });
});

describe('observeResponse', () => {
  it('filters a JSON tools/list answer and reads its outcome', async () => {
    const { text, outcome } = await run([list.slice(0, 20), list.slice(20)], { eventStream: false, deny: ['delete*'] });
    expect((JSON.parse(text) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name)).toEqual(['echo']);
    expect(outcome).toEqual({ outcome: 'ok', errorCode: null });
  });

  it('filters tools/list inside SSE message events split across chunks, keeping other events as they are', async () => {
    const stream = `event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\nevent: message\nid: 2\ndata: ${list}\n\n`;
    const parts = [stream.slice(0, 7), stream.slice(7, 90), stream.slice(90, 150), stream.slice(150)];
    const { text, outcome } = await run(parts, { eventStream: true, deny: ['delete*'] });
    const events = text.split('\n\n').filter(Boolean);
    expect(events[0]).toBe('event: message\nid: 1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}');
    expect(events[1]).toBe(`event: message\nid: 2\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 2, result: { tools: [{ name: 'echo' }] } })}`);
    expect(outcome).toEqual({ outcome: 'ok', errorCode: null });
  });

  it('passes an unfiltered answer through unchanged and finds a JSON-RPC error or isError in it', async () => {
    const error = '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}}';
    expect(await run([error.slice(0, 10), error.slice(10)], { eventStream: false })).toEqual({ text: error, outcome: { outcome: 'error', errorCode: -32601 } });
    const sse = `event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}\n\n`;
    expect(await run([sse], { eventStream: true })).toEqual({ text: sse, outcome: { outcome: 'error', errorCode: null } });
    expect((await run(['{}'], { eventStream: false, status: 400 })).outcome).toEqual({ outcome: 'error', errorCode: null });
  });
});

describe('CallLog queue', () => {
  it('drops rows past its bound, counted, instead of growing while the database is slow', async () => {
    let drops = 0;
    const stuck = { query: () => new Promise(() => undefined) } as never;
    const log = new CallLog({ pool: stuck, clock: systemClock, logger: createLogger({ level: 'silent' }), onDrop: () => (drops += 1) }, { ...DEFAULT_CALL_LOG_SETTINGS, batchSize: 1000, maxQueue: 3, flushMs: 60_000 });
    const row: CallRow = { deploymentId: 'dep_x', method: 'ping', tool: null, durationMs: 1, outcome: 'ok', errorCode: null, keyId: null, at: new Date(), order: 1 };
    for (let i = 0; i < 5; i += 1) log.record({ ...row, order: log.ticket() });
    expect([log.pending, log.dropped, drops]).toEqual([3, 2, 2]);
  });
});
