/** Ports for tests, on loopback only. */
import { createServer } from 'node:net';

/**
 * A port nothing listens on right now (bound, then released). Another process may take it before
 * the caller binds it: callers that start servers on it retry on another.
 */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
