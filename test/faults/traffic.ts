/** One answered (or failed) request of a traffic loop, with the phase it started in. */
export interface Sample {
  op: string;
  /** The phase when the request was sent, and when its answer (or failure) came. */
  phase: string;
  endPhase: string;
  status: number;
  /** The parsed body, or the raw text when it was not JSON; undefined when no answer came (network error). */
  body: unknown;
  text: string;
}

/** Workers calling `step` in a loop until stopped; every answer is recorded with the phase it started in. */
export class TrafficLoop {
  readonly samples: Sample[] = [];
  phase = 'before';
  private stopped = false;
  private readonly workers: Promise<void>[] = [];

  /** Starts `count` workers; each calls `step(worker, i)` repeatedly, which names its request and sends it. */
  start(count: number, step: (worker: number, i: number) => { op: string; send: () => Promise<Response> }): void {
    for (let w = 0; w < count; w += 1) {
      this.workers.push(
        (async () => {
          for (let i = 0; !this.stopped; i += 1) {
            const { op, send } = step(w, i);
            const phase = this.phase;
            try {
              const res = await send();
              const text = await res.text();
              let body: unknown = text;
              try {
                body = JSON.parse(text);
              } catch {
                // not JSON: kept as text, the assertions say whether that is allowed
              }
              this.samples.push({ op, phase, endPhase: this.phase, status: res.status, body, text });
            } catch (error) {
              this.samples.push({ op, phase, endPhase: this.phase, status: 0, body: undefined, text: String(error) });
            }
            // A short pause keeps the loop from spinning on instant refusals.
            await new Promise((r) => setTimeout(r, 5));
          }
        })(),
      );
    }
  }

  /** Stops every worker after its request in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }

  /** Samples sent and answered within `phase`. */
  in(phase: string): Sample[] {
    return this.samples.filter((s) => s.phase === phase && s.endPhase === phase);
  }
}

/** Polls `check` every 100 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
