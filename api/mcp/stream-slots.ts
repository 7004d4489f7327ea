/**
 * Caps on MCP requests in flight through this instance: per credential (API key or session) and per
 * deployment. A request holds its slots until its response body ends or the client leaves, so long SSE
 * streams count for as long as they are open. Counts are per instance: N instances allow N times the cap.
 */
export class StreamSlots {
  private readonly held = new Map<string, number>();

  constructor(private readonly limits: { perCredential: number; perDeployment: number }) {}

  /** Takes one slot for the credential and one for the deployment; undefined (nothing taken) when either is full. */
  acquire(credential: string, deploymentId: string): (() => void) | undefined {
    const keys: Array<[string, number]> = [
      [`c:${credential}`, this.limits.perCredential],
      [`d:${deploymentId}`, this.limits.perDeployment],
    ];
    if (keys.some(([key, limit]) => (this.held.get(key) ?? 0) >= limit)) return undefined;
    for (const [key] of keys) this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [key] of keys) {
        const left = (this.held.get(key) ?? 1) - 1;
        if (left <= 0) this.held.delete(key);
        else this.held.set(key, left);
      }
    };
  }

  /** Slots held now by one credential or deployment (for tests and metrics). */
  inUse(kind: 'credential' | 'deployment', id: string): number {
    return this.held.get(`${kind === 'credential' ? 'c' : 'd'}:${id}`) ?? 0;
  }
}

/** The error a body ends with when its upstream broke off: the HTTP server then cuts the client's connection
 * without logging a stack (it treats the code as an ended stream, which it is). */
function upstreamEndedEarly(): Error {
  return Object.assign(new Error('upstream ended early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * Wraps a response body so `done` runs exactly once when it ends, errors, or is cancelled (the client left).
 */
export function onBodySettled(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: end } = await reader.read();
        if (end) {
          done();
          controller.close();
        } else controller.enqueue(value);
      } catch {
        done();
        controller.error(upstreamEndedEarly());
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason).catch(() => undefined);
    },
  });
}
