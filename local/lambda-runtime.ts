/**
 * Loads each wiring function's handler module and invokes it the way Lambda does: one context per
 * invocation, the configured timeout enforced. Handlers run in this process, unchanged.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type FunctionName, type FunctionSpec, functions } from '#wiring/functions.ts';
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

async function importHandler(
  repoRoot: string,
  name: string,
  spec: FunctionSpec,
  log: Log,
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

export async function loadLambdaRuntime(options: {
  repoRoot: string;
  region: string;
  overrides?: HandlerOverrides;
  log: Log;
}): Promise<LambdaRuntime> {
  const handlers = new Map<FunctionName, LambdaHandler>();
  for (const [name, spec] of Object.entries(functions) as Array<[FunctionName, FunctionSpec]>) {
    const override = options.overrides?.[name];
    handlers.set(name, override ?? (await importHandler(options.repoRoot, name, spec, options.log)));
  }

  return {
    async invoke(name, event) {
      const handler = handlers.get(name);
      const spec: FunctionSpec | undefined = functions[name];
      if (!handler || !spec) throw new Error(`unknown function ${name}`);
      const context = buildLambdaContext(name, spec, options.region);
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
    },
  };
}
