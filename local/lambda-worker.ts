/**
 * One Lambda execution environment pool member: a worker thread that loads its pool's handlers once (as a warm Lambda keeps its module scope) and runs the invocations lambda-workers.ts
 * sends it. The handler's timeout starts here, when it starts, not when the invocation was queued.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type FunctionName, functions } from '#wiring/fleet.ts';
import type { FunctionSpec } from '#wiring/functions.ts';
import { importHandler, type LambdaHandler, runHandler } from './lambda-runtime.ts';
import type { FromWorker, ToWorker, WorkerSettings } from './lambda-worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('lambda-worker.ts runs as a worker thread');
const settings = workerData as WorkerSettings;
const post = (message: FromWorker): void => port.postMessage(message);

function describe(err: unknown): { name: string; message: string; stack?: string } {
  const error = err instanceof Error ? err : new Error(String(err));
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
}

const handlers = new Map<FunctionName, LambdaHandler>();
for (const name of settings.functions) {
  const spec: FunctionSpec = functions[name];
  handlers.set(
    name,
    await importHandler(settings.repoRoot, name, spec, {
      warn: (message) => post({ kind: 'warn', message }),
    }),
  );
}

port.on('message', (message: ToWorker) => {
  const handler = handlers.get(message.name);
  void (async () => {
    try {
      if (!handler) throw new Error(`unknown function ${message.name}`);
      const result = await runHandler(handler, message.name, message.event, settings.region);
      try {
        post({ kind: 'result', id: message.id, ok: true, result });
      } catch (err) {
        // A result that cannot be cloned (a function, a class instance with handles) is the handler's error.
        post({ kind: 'result', id: message.id, ok: false, error: describe(err) });
      }
    } catch (err) {
      post({ kind: 'result', id: message.id, ok: false, error: describe(err) });
    }
  })();
});
post({ kind: 'ready' });
