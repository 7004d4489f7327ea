import type { Services } from '../../services.ts';
import type { LogLine } from './log-lines.ts';
import { readNewLines, type LogCursor } from './read-logs.ts';

const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;

/** One SSE `log` event. */
function sseEvent(line: LogLine): string {
  return `event: log\ndata: ${JSON.stringify(line)}\n\n`;
}

/**
 * An SSE body that sends `initial`, then every new line (polled each second from the events and the
 * runner), with a comment heartbeat, until the client leaves (cancel or `signal`) or the deployment is
 * deleted. `done` runs exactly once at the end, whatever ends it: the follower's slot is then free.
 */
export function followStream(options: {
  services: Services;
  deploymentId: string;
  initial: LogLine[];
  cursor: LogCursor;
  signal: AbortSignal;
  done: () => void;
}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let lastWrite = Date.now();
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    stop.abort();
    options.signal.removeEventListener('abort', finish);
    options.done();
  };
  options.signal.addEventListener('abort', finish, { once: true });
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string): void => {
        lastWrite = Date.now();
        controller.enqueue(encoder.encode(text));
      };
      write(`: following\n\n${options.initial.map(sseEvent).join('')}`);
      const tick = async (): Promise<void> => {
        if (finished) return;
        const lines = await readNewLines(options.services, options.deploymentId, options.cursor, stop.signal).catch(() => []);
        if (finished) return;
        if (lines === undefined) {
          finish();
          controller.close();
          return;
        }
        if (lines.length > 0) write(lines.map(sseEvent).join(''));
        else if (Date.now() - lastWrite >= HEARTBEAT_MS) write(': keep-alive\n\n');
        timer = setTimeout(() => void tick(), POLL_MS);
      };
      timer = setTimeout(() => void tick(), POLL_MS);
    },
    cancel() {
      finish();
    },
  });
}
