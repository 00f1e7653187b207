/**
 * Counts the requests the DynamoDB emulator serves, by operation (the X-Amz-Target header), so a
 * benchmark can state how many requests the pipeline really made per report rather than estimate
 * it. The counts are served on `GET /_fleetpulse/requests` of the emulator's own port: the bench
 * reads them over the wire like any client, without a handle on the emulator's thread.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export const REQUEST_COUNTS_PATH = '/_fleetpulse/requests';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export function countRequests(server: Server): void {
  const counts: Record<string, number> = {};
  const served = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === REQUEST_COUNTS_PATH) {
      const body = JSON.stringify(counts);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const operation = target.slice(target.indexOf('.') + 1);
      counts[operation] = (counts[operation] ?? 0) + 1;
    }
    for (const listener of served) listener.call(server, req, res);
  });
}

/** The counts of the emulator at `endpoint` (operation → requests served since it started). */
export async function fetchRequestCounts(endpoint: string): Promise<Record<string, number>> {
  const res = await fetch(new URL(REQUEST_COUNTS_PATH, endpoint));
  if (!res.ok) throw new Error(`DynamoDB emulator request counts: HTTP ${res.status}`);
  return (await res.json()) as Record<string, number>;
}
