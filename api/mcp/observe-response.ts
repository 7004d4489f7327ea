import { filterToolsList, type ToolPolicy } from './tool-policy.ts';

/** How one proxied request ended, as the call log records it. */
export interface CallOutcome {
  outcome: 'ok' | 'error';
  errorCode: number | null;
}

/** Bytes of a pass-through answer (or of one SSE event) kept to read its outcome; larger ones count as `ok`. */
const PEEK_MAX = 64 * 1024;
/** A `tools/list` answer held whole to filter it; a larger one is cut off (the client sees an error). */
const HOLD_MAX = 8 * 1024 * 1024;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The outcome a JSON-RPC answer carries: `error` (its code) or a tool result flagged `isError` (no code);
 * undefined for a message that is not an answer (a notification or a server request inside an SSE stream).
 */
export function outcomeOf(message: unknown): CallOutcome | undefined {
  if (!isObject(message) || 'method' in message) return undefined;
  if (isObject(message.error)) return { outcome: 'error', errorCode: typeof message.error.code === 'number' ? message.error.code : null };
  if ('result' in message) return { outcome: isObject(message.result) && message.result.isError === true ? 'error' : 'ok', errorCode: null };
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A message (or batch) with refused tools taken out of any `tools/list` answer in it. */
const filtered = (message: unknown, policy: ToolPolicy): unknown => (Array.isArray(message) ? message.map((m) => filterToolsList(m, policy)) : filterToolsList(message, policy));

const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** Splits off complete SSE events (`\n\n` or `\r\n\r\n` terminated) from `pending`; returns them and the rest. */
function splitEvents(pending: string): { events: string[]; rest: string } {
  const events: string[] = [];
  let rest = pending;
  for (;;) {
    const match = /\r?\n\r?\n/.exec(rest);
    if (!match) return { events, rest };
    events.push(rest.slice(0, match.index + match[0].length));
    rest = rest.slice(match.index + match[0].length);
  }
}

/** The data of one SSE event (its `data:` lines joined), or undefined when it has none. */
function eventData(event: string): string | undefined {
  const lines = event.split(/\r?\n/).filter((l) => l.startsWith('data:'));
  return lines.length === 0 ? undefined : lines.map((l) => l.slice(5).replace(/^ /, '')).join('\n');
}

/** The event with its data replaced by `data` (one line), other fields kept as they were. */
function withData(event: string, data: string): string {
  const lines = event.split(/\r?\n/).filter((l) => l !== '');
  const kept = lines.filter((l) => !l.startsWith('data:'));
  return `${[...kept, `data: ${data}`].join('\n')}\n\n`;
}

/**
 * Watches an answer as it streams to the client, to learn its outcome, and calls `settled` exactly once
 * (end, upstream error, or the client leaving). Chunks pass on as they come, except when `filter` is set
 * (a `tools/list` under a tool policy): a JSON answer is then held whole and an SSE answer event by event,
 * so refused tools are taken out before the client sees them.
 */
export function observeResponse(
  body: ReadableStream<Uint8Array>,
  options: { eventStream: boolean; status: number; filter?: ToolPolicy; settled: (outcome: CallOutcome) => void },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let outcome: CallOutcome | undefined = options.status >= 400 ? { outcome: 'error', errorCode: null } : undefined;
  let done = false;
  const finish = (broken: boolean) => {
    if (done) return;
    done = true;
    options.settled(broken && !outcome ? { outcome: 'error', errorCode: null } : (outcome ?? { outcome: options.status >= 400 ? 'error' : 'ok', errorCode: null }));
  };
  const note = (message: unknown) => {
    const seen = outcomeOf(message);
    // The first answer decides; an HTTP error status stays an error but takes the JSON-RPC code.
    if (seen && (!outcome || (outcome.outcome === 'error' && outcome.errorCode === null && seen.errorCode !== null))) outcome = options.status >= 400 ? { outcome: 'error', errorCode: seen.errorCode } : seen;
  };
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  let pending = '';
  let overflow = false;

  const onChunk = (chunk: Uint8Array, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (!options.eventStream) {
      if (options.filter) {
        heldBytes += chunk.byteLength;
        if (heldBytes > HOLD_MAX) throw new Error('tools/list answer too large to filter');
        held.push(chunk);
        return;
      }
      if (heldBytes + chunk.byteLength <= PEEK_MAX) held.push(chunk);
      else overflow = true;
      heldBytes += chunk.byteLength;
      controller.enqueue(chunk);
      return;
    }
    if (!options.filter) controller.enqueue(chunk);
    pending += decoder.decode(chunk, { stream: true });
    const { events, rest } = splitEvents(pending);
    pending = rest;
    if (pending.length > (options.filter ? HOLD_MAX : PEEK_MAX)) {
      if (options.filter) throw new Error('SSE event too large to filter');
      pending = '';
      overflow = true;
    }
    for (const event of events) {
      const data = eventData(event);
      const message = data !== undefined && data.length <= HOLD_MAX ? parseJson(data) : undefined;
      if (message !== undefined) note(message);
      if (!options.filter) continue;
      controller.enqueue(encoder.encode(message !== undefined ? withData(event, JSON.stringify(filtered(message, options.filter))) : event));
    }
  };

  const onEnd = (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (!options.eventStream && (options.filter || !overflow)) {
      const text = decoder.decode(concat(held));
      const message = parseJson(text);
      if (message !== undefined) note(Array.isArray(message) ? message[0] : message);
      if (options.filter) controller.enqueue(message !== undefined ? encoder.encode(JSON.stringify(filtered(message, options.filter))) : concat(held));
    } else if (options.eventStream && options.filter && pending !== '') controller.enqueue(encoder.encode(pending));
    finish(false);
  };

  const transform = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => onChunk(chunk, controller),
    flush: (controller) => onEnd(controller),
  });
  const reader = body.pipeThrough(transform).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: end } = await reader.read();
        if (end) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        finish(true);
        controller.error(error);
      }
    },
    cancel(reason) {
      finish(false);
      return reader.cancel(reason).catch(() => undefined);
    },
  });
}
