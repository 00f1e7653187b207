/**
 * Reconnect delays: exponential growth capped at `maxMs`, with jitter so a fleet that lost its
 * broker at the same moment does not come back at the same moment.
 */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
  /** Fraction of the delay that is randomised: 0 = none, 1 = full jitter. */
  readonly jitter: number;
}

/** Delay before reconnect attempt `attempt` (0 = first retry). Always within [base·(1-jitter), max]. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const { baseMs, maxMs } = options;
  const jitter = Math.min(1, Math.max(0, options.jitter));
  const exponent = Math.min(Math.max(0, attempt), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  const delay = ceiling * (1 - jitter) + ceiling * jitter * random();
  return Math.round(Math.min(maxMs, Math.max(0, delay)));
}
