/**
 * Stopping on SIGINT/SIGTERM for long-running commands (the agent, the local cloud).
 *
 * One Ctrl-C often reaches a process more than once: the terminal signals the whole process group,
 * and npm, npx or tsx relay it too. Signals within `repeatGraceMs` of the first are that same
 * keypress; a later one forces the exit. Handlers are installed at once, so a signal during startup
 * is not lost: the stop runs as soon as `started()` names it.
 */

export interface StopSignalsOptions {
  /** Called once, when the first signal arrives. */
  readonly onStopping: (signal: string) => void;
  /** Called when a later signal forces the exit (before `process.exit(130)`). */
  readonly onForced: (signal: string) => void;
  /** Called when the stop function rejects (before `process.exit(1)`). */
  readonly onStopFailed: (err: unknown) => void;
  /** @default 2000 */
  readonly repeatGraceMs?: number;
}

export interface StopSignals {
  /** The work is up: `stop` runs on the first signal (at once, if one already arrived). */
  started(stop: () => Promise<void>): void;
}

export function handleStopSignals(options: StopSignalsOptions): StopSignals {
  const graceMs = options.repeatGraceMs ?? 2_000;
  let stoppingSince: number | undefined;
  let stop: (() => Promise<void>) | undefined;
  const run = (): void => {
    stop?.().then(
      () => process.exit(0),
      (err: unknown) => {
        options.onStopFailed(err);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: string): void => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < graceMs) return;
      options.onForced(signal);
      process.exit(130);
    }
    stoppingSince = Date.now();
    options.onStopping(signal);
    run();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return {
    started(stopAll) {
      stop = stopAll;
      if (stoppingSince !== undefined) run();
    },
  };
}
