/**
 * A child process in its own process group, as a terminal runs a command: signals go to the whole
 * group (`kill -INT -<pgid>`, `kill -9 -<pgid>`), and its output is collected for assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface GroupProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the first output line that `match` accepts (rejects if the process exits first). */
  line(match: RegExp, timeoutMs: number): Promise<string>;
  /** Sends `signal` to every process of the group. */
  signal(signal: NodeJS.Signals): void;
  /** How it ended: an exit code, or the signal that killed it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnGroup(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): GroupProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });
  return {
    child,
    output: () => output,
    line(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = output.split('\n').find((l) => match.test(l));
          if (found !== undefined) done(() => resolve(found));
          else if (child.exitCode !== null || child.signalCode !== null)
            done(() => reject(new Error(`process exited before printing ${match}:\n${output}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no line matching ${match} within ${timeoutMs} ms:\n${output}`))),
          timeoutMs,
        );
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    signal(signal) {
      // Once the leader is gone its id may be reused by an unrelated process group.
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    },
    exited,
  };
}
