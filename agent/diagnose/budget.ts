/**
 * Every wait in a diagnose run is bounded twice: by its own check's timeout and by what is left of
 * the run's total. `bounded` settles at the first of the task or its timeout; a task that ignores
 * the timeout (dns.lookup cannot be cancelled) is left behind, never awaited.
 */
export class CheckTimeout extends Error {
  override readonly name = 'CheckTimeout';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export function bounded<T>(task: Promise<T>, timeoutMs: number, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new CheckTimeout(timeoutMs));
    }, timeoutMs);
    task.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export class Budget {
  private readonly deadline: number;
  constructor(
    totalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.deadline = now() + totalMs;
  }

  /** The timeout for a check that would take up to `checkMs`, leaving `reserveMs` for later checks; 0: no time left. */
  timeoutFor(checkMs: number, reserveMs = 0): number {
    return Math.max(0, Math.min(checkMs, this.deadline - reserveMs - this.now()));
  }
}
