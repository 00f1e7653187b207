/** Messages between lambda-workers.ts (the pool, in the cloud's thread) and lambda-worker.ts. */
import type { FunctionName } from '#wiring/fleet.ts';

export interface WorkerSettings {
  readonly repoRoot: string;
  readonly region: string;
  /** The functions this worker loads and runs (a pool's, see lambda-workers.ts). */
  readonly functions: readonly FunctionName[];
}

export interface ToWorker {
  readonly id: number;
  readonly name: FunctionName;
  readonly event: unknown;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'warn'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError };
