/** Small helpers shared by the local HTTP servers (API and IoT data plane). */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Largest request body accepted (IoT's payload limit is 128 KB; API bodies are small). */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole body, refusing (before reading, when Content-Length says so) one over `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const tooLarge = (): BodyTooLargeError => new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Pending connections the kernel keeps for a server whose event loop is busy. Node's default (511)
 * overflows when a thousand clients connect at once; the overflow is reset after a minute of SYN-ACK
 * retries, which callers see as ECONNRESET. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

/** Listens on 127.0.0.1 only; resolves with the bound port (useful with port 0). */
export function listenLocal(server: Server | import('node:net').Server, port: number): Promise<number> {
  // Idle keep-alive sockets stay open until their client closes them (or closeServer): a server-side
  // idle timeout races with a client reusing the socket, and the loser sees ECONNRESET or "socket
  // hang up" (the SDKs keep sockets alive).
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 0;
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server without waiting for idle keep-alive connections to time out. */
export function closeServer(server: Server | import('node:net').Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

/** Strips the IPv4-mapped IPv6 prefix so addresses read like AWS reports them. */
export function plainIp(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}
