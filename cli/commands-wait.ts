/**
 * `fleetpulse commands wait`: polls the command until it finishes or the wait times out, with a live
 * progress line on stderr — rewritten in place on a terminal, one plain line per change otherwise
 * (a log or CI output keeps every step, without a line per poll).
 */
import type { CommandView } from '#protocol/api/commands.ts';
import { isFinished, progressText } from './commands-format.ts';

export interface ProgressSink {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ProgressLine {
  show(line: string): void;
  /** Leaves the last line on screen and moves below it. */
  end(): void;
}

export function progressLine(sink: ProgressSink): ProgressLine {
  let last: string | undefined;
  return {
    show(line) {
      if (line === last) return;
      last = line;
      // \r and "erase line": the new text replaces the old even when it is shorter.
      sink.write(sink.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    end() {
      if (sink.isTTY && last !== undefined) sink.write('\n');
    },
  };
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** Time between two polls. */
  readonly intervalMs: number;
  readonly progress: ProgressLine;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface WaitResult {
  readonly view: CommandView;
  readonly timedOut: boolean;
}

/** Polls `fetchView` until the command is finished or `timeoutMs` has passed; API errors end the wait. */
export async function waitForCommand(
  fetchView: () => Promise<CommandView>,
  options: WaitOptions,
): Promise<WaitResult> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  try {
    for (;;) {
      const view = await fetchView();
      options.progress.show(progressText(view));
      if (isFinished(view)) return { view, timedOut: false };
      const left = deadline - now();
      if (left <= 0) return { view, timedOut: true };
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.intervalMs, left)));
    }
  } finally {
    options.progress.end();
  }
}
