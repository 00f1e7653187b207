/**
 * Runs the handlers in worker threads: the broker, the emulators and the API server keep this
 * thread's event loop, the handlers' CPU (SDK marshalling, validation, compression) goes to another
 * core. The workers form two pools, as Lambda gives each function instances of its own: the API
 * functions run in workers of their own, so an operator's request never waits behind a burst of
 * heartbeats or reports in a shared event loop (or a shared SDK socket pool); the ingest functions
 * share the others. Each worker loads its pool's handlers once; an invocation goes to the pool's
 * worker with the fewest running, after the function's concurrency bound (lambda-runtime.ts
 * `throttled`) has let it through.
 *
 * A worker that dies fails the invocations it was running (as a crashed Lambda environment does)
 * and is replaced.
 */
import type { Worker } from 'node:worker_threads';
import { type FunctionName, functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { type ClosableLambdaRuntime, HandlerTimeoutError, throttled } from './lambda-runtime.ts';
import type { FromWorker, SerializedError, ToWorker, WorkerSettings } from './lambda-worker-protocol.ts';
import type { Log } from './log.ts';
import { spawnTsWorker } from './ts-worker.ts';

export interface LambdaWorkersOptions {
  readonly repoRoot: string;
  readonly region: string;
  readonly log: Log;
  /** Workers for the ingest functions (everything not behind the API). @default 1 */
  readonly count?: number;
  /** Workers for the API functions. @default 1 */
  readonly apiCount?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Member {
  worker: Worker;
  readonly settings: WorkerSettings;
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

export interface WorkerPool {
  readonly names: readonly FunctionName[];
  readonly count: number;
}

/** The API functions in a pool of their own, the ingest functions in the other; no empty pool. */
export function workerPools(
  specs: Readonly<Record<string, FunctionSpec>>,
  counts: { readonly count?: number; readonly apiCount?: number },
): WorkerPool[] {
  const entries = Object.entries(specs) as Array<[FunctionName, FunctionSpec]>;
  const api = entries.filter(([, spec]) => spec.trigger.kind === 'api').map(([name]) => name);
  const ingest = entries.filter(([, spec]) => spec.trigger.kind !== 'api').map(([name]) => name);
  return [
    { names: api, count: Math.max(1, counts.apiCount ?? 1) },
    { names: ingest, count: Math.max(1, counts.count ?? 1) },
  ].filter((pool) => pool.names.length > 0);
}

export async function startLambdaWorkers(options: LambdaWorkersOptions): Promise<ClosableLambdaRuntime> {
  const { log } = options;
  const pools = workerPools(functions, options);
  const members: Member[] = [];
  const poolOf = new Map<FunctionName, Member[]>();
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
        member.worker = spawn(member.settings);
        start(member).catch((err: unknown) => log.error('could not replace a handler worker', err));
      });
    });
  }

  try {
    for (const pool of pools) {
      const settings: WorkerSettings = {
        repoRoot: options.repoRoot,
        region: options.region,
        functions: pool.names,
      };
      const poolMembers: Member[] = [];
      for (let i = 0; i < pool.count; i++) {
        poolMembers.push({ worker: spawn(settings), settings, pending: new Map() });
      }
      members.push(...poolMembers);
      for (const name of pool.names) poolOf.set(name, poolMembers);
    }
    await Promise.all(members.map(start));
  } catch (err) {
    closing = true;
    await Promise.all(members.map((m) => m.worker.terminate()));
    throw err;
  }

  function dispatch(name: FunctionName, event: unknown): Promise<unknown> {
    if (closing) return Promise.reject(new Error('the local Lambda runtime is stopped'));
    const pool = poolOf.get(name);
    if (!pool) return Promise.reject(new Error(`unknown function ${name}`));
    const member = pool.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
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
