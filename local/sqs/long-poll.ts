/**
 * Long polling: a ReceiveMessage with WaitTimeSeconds waits until its queue may have something (a
 * send, a message whose visibility timeout or delay ran out), the wait ends, or the server stops.
 */
export class Waiters {
  readonly #wakers = new Set<() => void>();
  #closed = false;

  /** Resolves at `untilMs` (epoch ms) at the latest, or sooner on wake(), close() or `signal`. */
  wait(untilMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, untilMs - Date.now()));
      this.#wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** Ends every wait, now and later (the server is stopping). */
  close(): void {
    this.#closed = true;
    this.wake();
  }
}
