import type { ApiClient } from './client.ts';
import { formatEvent, paintState, readEvents, type Deployment } from './deployment.ts';
import type { Output } from './output.ts';

export type FollowOutcome = 'running' | 'failed' | 'stopped' | 'deleted' | 'timeout';

export interface FollowOptions {
  api: ApiClient;
  out: Output;
  /** Where progress goes (stdout normally, stderr under --json). */
  write: (text: string) => void;
  /** Whether `write` goes to a terminal: then a spinner line is redrawn in place. */
  tty: boolean;
  timeoutMs: number;
  intervalMs: number;
  /** The state that ends the wait successfully (default running). */
  target?: 'running' | 'stopped' | 'deleted';
  /** Print only events after `cursor` (a lifecycle change follows from where the history ends). */
  cursor?: string;
  signal?: AbortSignal;
  /**
   * Event types of which one must arrive after `cursor` before `target` counts (restart: `restarted`), so a
   * wait does not end on the state the deployment already had before the reconciler acted.
   */
  requireEvent?: string[];
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Polls a deployment and its events until it reaches `target`, fails, or `timeoutMs` passes, printing every
 * event (state transitions with reasons) as it arrives and, on a terminal, a spinner with the current state.
 */
export async function followDeployment(id: string, options: FollowOptions): Promise<{ outcome: FollowOutcome; deployment: Deployment | undefined }> {
  const { api, out, write, tty } = options;
  const target = options.target ?? 'running';
  const started = Date.now();
  let cursor = options.cursor;
  let frame = 0;
  let spinnerShown = false;
  let deployment: Deployment | undefined;
  let acted = !options.requireEvent?.length;
  const clear = () => {
    if (spinnerShown) write('\r\x1b[2K');
    spinnerShown = false;
  };
  for (;;) {
    try {
      const page = await readEvents(api, id, cursor);
      cursor = page.cursor;
      if (page.events.length) clear();
      for (const event of page.events) write(`  ${formatEvent(out, event)}\n`);
      if (page.events.some((event) => options.requireEvent?.includes(event.type))) acted = true;
      deployment = await api.get<Deployment>(`/v1/deployments/${encodeURIComponent(id)}`);
    } catch (error) {
      // A deleted deployment disappears from the API: for `rm --wait` that is the goal.
      if (target === 'deleted' && (error as { status?: number }).status === 404) return clear(), { outcome: 'deleted', deployment };
      throw error;
    }
    const state = deployment.state;
    if (state === target && acted) return clear(), { outcome: target, deployment };
    if (state === 'failed' && target !== 'deleted') return clear(), { outcome: 'failed', deployment };
    if (target === 'running' && (state === 'stopped' || state === 'deleted') && deployment.desiredState !== 'running') {
      return clear(), { outcome: state, deployment };
    }
    if (Date.now() - started >= options.timeoutMs || options.signal?.aborted) return clear(), { outcome: 'timeout', deployment };
    // Redraw the spinner while waiting, a frame every 100 ms on a terminal.
    const until = Date.now() + options.intervalMs;
    do {
      if (tty) {
        const seconds = Math.round((Date.now() - started) / 1000);
        write(`\r\x1b[2K${out.cyan(FRAMES[frame++ % FRAMES.length] ?? '')} ${paintState(out, state)} ${out.dim(`${seconds}s`)}`);
        spinnerShown = true;
      }
      await sleep(tty ? Math.min(100, Math.max(0, until - Date.now())) : options.intervalMs, options.signal);
    } while (tty && Date.now() < until && !options.signal?.aborted);
  }
}
