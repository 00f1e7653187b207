/** The outbox's limits: per-class bounds, in-flight window and replay pacing, from agentDefaults. */
import { agentDefaults } from '../defaults.ts';
import type { ClassBound, ClassBounds, DataClass } from './classes.ts';
import type { ReplayPacing } from './pacing.ts';

export interface OutboxLimits {
  readonly maxInFlight: number;
  /** Pause after a failed send while still attached. @default 5_000 */
  readonly retryAfterMs?: number;
  readonly classes: ClassBounds;
  readonly replay: ReplayPacing;
}

/** What callers (tests, the simulator) may override; the rest comes from agentDefaults.outbox. */
export interface OutboxTuning {
  readonly maxInFlight?: number;
  readonly retryAfterMs?: number;
  readonly classes?: Partial<Record<DataClass, ClassBound>>;
  readonly replay?: Partial<ReplayPacing>;
}

export function outboxLimits(tuning: OutboxTuning = {}): OutboxLimits {
  const defaults = agentDefaults.outbox;
  return {
    maxInFlight: tuning.maxInFlight ?? defaults.maxInFlight,
    ...(tuning.retryAfterMs === undefined ? {} : { retryAfterMs: tuning.retryAfterMs }),
    classes: { ...defaults.classes, ...tuning.classes },
    replay: { ...defaults.replay, ...tuning.replay },
  };
}
