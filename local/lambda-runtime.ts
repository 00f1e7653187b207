/**
 * Invokes each wiring function's handler the way Lambda does: one context per invocation, the
 * configured timeout enforced from the moment the handler starts, and a bounded number of
 * concurrent invocations per function. An invocation beyond that bound is throttled: it waits for a
 * free slot for as long as it takes (Lambda's async queue keeps events for hours) and is never
 * timed out, failed or dead-lettered while it has not run.
 *
 * Handlers run in worker threads (lambda-workers.ts), so they use the second core and never hold
 * the broker's event loop; tests that replace handlers with functions run them in this thread.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { Semaphore } from '#agent/semaphore.ts';
import { type FunctionName, functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { buildLambdaContext } from './lambda-context.ts';
import type { Log } from './log.ts';

export type LambdaHandler = (event: never, context: Context) => unknown;

export type HandlerOverrides = Partial<Record<FunctionName, LambdaHandler>>;

export class HandlerTimeoutError extends Error {
  override readonly name = 'HandlerTimeoutError';
}

export class HandlerNotFoundError extends Error {
  override readonly name = 'HandlerNotFoundError';
}

export interface LambdaRuntime {
  invoke(name: FunctionName, event: unknown): Promise<unknown>;
}

export interface ClosableLambdaRuntime extends LambdaRuntime {
  /** Ends the execution environments; invocations still running are failed. */
  close(): Promise<void>;
}

/**
 * Concurrent invocations per function. Lambda's account default is 1,000; locally every invocation
 * shares two cores and one DynamoDB emulator, so more at once only makes each one slower. Functions
 * behind an SQS event source already run at most `maxConcurrency` batches.
 */
export const LOCAL_CONCURRENCY = 8;

export function concurrencyOf(spec: FunctionSpec): number {
  const trigger = spec.trigger;
  return trigger.kind === 'queue' || trigger.kind === 'topic-rule-queue'
    ? Math.max(trigger.maxConcurrency, 1)
    : LOCAL_CONCURRENCY;
}

export function specOf(name: FunctionName): FunctionSpec {
  const spec: FunctionSpec | undefined = functions[name];
  if (!spec) throw new Error(`unknown function ${name}`);
  return spec;
}

export async function importHandler(
  repoRoot: string,
  name: string,
  spec: FunctionSpec,
  log: Pick<Log, 'warn'>,
): Promise<LambdaHandler> {
  const file = join(repoRoot, spec.entry);
  try {
    await access(file);
  } catch {
    // Other parts of the repo may not be written yet; the rest of the cloud still runs.
    log.warn(`function ${name}: ${spec.entry} does not exist; invocations will fail`);
    return () => {
      throw new HandlerNotFoundError(`${spec.entry} does not exist`);
    };
  }
  const mod = (await import(pathToFileURL(file).href)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') throw new Error(`${spec.entry} does not export a handler function`);
  return mod.handler as LambdaHandler;
}

/** Runs one invocation; the timeout counts the handler's own run time only. */
export async function runHandler(
  handler: LambdaHandler,
  name: FunctionName,
  event: unknown,
  region: string,
): Promise<unknown> {
  const spec = specOf(name);
  const context = buildLambdaContext(name, spec, region);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerTimeoutError(`Task timed out after ${spec.timeoutSec}.00 seconds`)),
      spec.timeoutSec * 1000,
    );
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event as never, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wraps `invoke` with each function's concurrency bound; excess invocations wait, untimed. */
export function throttled(invoke: LambdaRuntime['invoke']): LambdaRuntime {
  const slots = new Map<FunctionName, Semaphore>();
  return {
    invoke(name, event) {
      let semaphore = slots.get(name);
      if (!semaphore) {
        semaphore = new Semaphore(concurrencyOf(specOf(name)));
        slots.set(name, semaphore);
      }
      return semaphore.run(() => invoke(name, event));
    },
  };
}

/** Handlers in this thread: for tests that replace them with functions (which cannot cross threads). */
export async function loadInProcessRuntime(options: {
  repoRoot: string;
  region: string;
  overrides?: HandlerOverrides;
  log: Log;
}): Promise<ClosableLambdaRuntime> {
  const handlers = new Map<FunctionName, LambdaHandler>();
  for (const [name, spec] of Object.entries(functions) as Array<[FunctionName, FunctionSpec]>) {
    const override = options.overrides?.[name];
    handlers.set(name, override ?? (await importHandler(options.repoRoot, name, spec, options.log)));
  }
  const runtime = throttled(async (name, event) => {
    const handler = handlers.get(name);
    if (!handler) throw new Error(`unknown function ${name}`);
    return runHandler(handler, name, event, options.region);
  });
  return { ...runtime, close: async () => undefined };
}
