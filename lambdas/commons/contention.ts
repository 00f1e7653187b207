/** Waiting before another try after losing a conditional write to a concurrent writer. */

/**
 * Resolves after an exponentially growing pause (`baseMs` × 2^attempt, at most `maxMs`); with
 * `jitter`, a random share of it, so that writers that collided do not collide again in step.
 */
export function contentionPause(
  attempt: number,
  options: { baseMs: number; maxMs: number; jitter: boolean },
): Promise<void> {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const ms = options.jitter ? Math.random() * ceiling : ceiling;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
