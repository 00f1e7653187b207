/**
 * Runs the handlers in worker threads: the broker, the emulators and the API server keep this
 * thread's event loop, the handlers' CPU (SDK marshalling, validation, compression) goes to another
 * core. Each worker loads all handlers once; an invocation goes to the worker with the fewest
 * running, after the function's concurrency bound (lambda-runtime.ts `throttled`) has let it through.
 *
 * A worker that dies fails the invocations it was running (as a crashed Lambda environment does)
 * and is replaced.
 */
import type { Worker } from 'node:worker_threads';
import type { FunctionName } from '#wiring/functions.ts';
import { type ClosableLambdaRuntime, HandlerTimeoutError, throttled } from './lambda-runtime.ts';
import type { FromWorker, SerializedError, ToWorker, WorkerSettings } from './lambda-worker-protocol.ts';
import type { Log } from './log.ts';
import { spawnTsWorker } from './ts-worker.ts';

export interface LambdaWorkersOptions {
  readonly repoRoot: string;
  readonly region: string;
  readonly log: Log;
  /** @default 1 */
  readonly count?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Member {
  worker: Worker;
  readonly pending: Map<number, Pending>;
}

class WorkerExitError extends Error {
  override readonly name = 'Runtime.ExitError';
}

function revive(serialized: SerializedError): Error {
  const err =
    serialized.name === 'HandlerTimeoutError'
      ? new HandlerTimeoutError(serialized.message)
      : Object.assign(new Error(serialized.message), { name: serialized.name });
  if (serialized.stack) err.stack = serialized.stack;
  return err;
}

function spawn(settings: WorkerSettings): Worker {
  return spawnTsWorker(new URL('./lambda-worker.ts', import.meta.url), settings);
}

export async function startLambdaWorkers(options: LambdaWorkersOptions): Promise<ClosableLambdaRuntime> {
  const { log } = options;
  const settings: WorkerSettings = { repoRoot: options.repoRoot, region: options.region };
  const members: Member[] = [];
  let nextId = 0;
  let closing = false;

  function start(member: Member): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      member.worker.on('message', (message: FromWorker) => {
        if (message.kind === 'ready') {
          ready = true;
          resolve();
        } else if (message.kind === 'warn') {
          log.warn(message.message);
        } else {
          const pending = member.pending.get(message.id);
          member.pending.delete(message.id);
          if (message.ok) pending?.resolve(message.result);
          else pending?.reject(revive(message.error));
        }
      });
      member.worker.on('error', (err) => {
        if (!ready) reject(err);
        else log.error('a handler worker failed', err);
      });
      member.worker.on('exit', (code) => {
        const lost = new WorkerExitError(`the handler worker exited (code ${code})`);
        for (const pending of member.pending.values()) pending.reject(lost);
        member.pending.clear();
        if (!ready) reject(lost);
        if (closing || !ready) return;
        member.worker = spawn(settings);
        start(member).catch((err: unknown) => log.error('could not replace a handler worker', err));
      });
    });
  }

  try {
    for (let i = 0; i < Math.max(1, options.count ?? 1); i++) {
      const member: Member = { worker: spawn(settings), pending: new Map() };
      members.push(member);
    }
    await Promise.all(members.map(start));
  } catch (err) {
    closing = true;
    await Promise.all(members.map((m) => m.worker.terminate()));
    throw err;
  }

  function dispatch(name: FunctionName, event: unknown): Promise<unknown> {
    if (closing) return Promise.reject(new Error('the local Lambda runtime is stopped'));
    const member = members.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = nextId++;
    return new Promise<unknown>((resolve, reject) => {
      member.pending.set(id, { resolve, reject });
      const message: ToWorker = { id, name, event };
      try {
        member.worker.postMessage(message);
      } catch (err) {
        member.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }
  const runtime = throttled(dispatch);

  return {
    ...runtime,
    async close() {
      closing = true;
      await Promise.all(members.map((m) => m.worker.terminate()));
    },
  };
}
