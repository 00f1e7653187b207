/**
 * One adversarial kind: an entry (where the bad input goes in), a name, how to send it and what must
 * hold afterwards. A kind throws (an AssertionError from `expect`, or any Error) when what must hold
 * does not; the runner turns that into a failed row. Kinds are declared in one file per entry.
 */
import type { AdversarialContext } from './context.ts';

export type Entry = 'mqtt' | 'api' | 'cli' | 'fault';

export interface Kind {
  readonly entry: Entry;
  readonly name: string;
  /** Part of the fast form inside `npm test` (slow kinds — floods, restarts, kill -9 — are not). */
  readonly fast: boolean;
  /** Which engineer's work a failure today waits for, when one is known (shown in the table). */
  readonly waitsFor?: string;
  run(ctx: AdversarialContext): Promise<void>;
}

export const kind = (
  entry: Entry,
  name: string,
  run: Kind['run'],
  options: { slow?: boolean; waitsFor?: string } = {},
): Kind => ({
  entry,
  name,
  fast: !options.slow,
  ...(options.waitsFor ? { waitsFor: options.waitsFor } : {}),
  run,
});
