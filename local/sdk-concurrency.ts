/**
 * Bounds the requests an SDK client has in flight. The local cloud's own clients fan out with the
 * devices (one SQS SendMessage per report a device publishes: 2,000 at once when a fleet boots);
 * unbounded, those pile up in the HTTP agent's socket queue and the SDK warns that socket usage is
 * at capacity. Bounded here, they wait in order and the sockets stay within the agent's limit.
 */
import { Semaphore } from '#agent/semaphore.ts';

interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/** Sockets the SDK's default HTTP agent opens per origin. */
export const SDK_MAX_SOCKETS = 50;

export function boundConcurrency<C>(client: C, limit = SDK_MAX_SOCKETS / 2): C {
  const semaphore = new Semaphore(limit);
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next) => (args) => semaphore.run(() => next(args)),
    { step: 'initialize', name: 'fleetpulseBoundConcurrency' },
  );
  return client;
}
