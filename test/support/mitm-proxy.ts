/**
 * A real TLS-intercepting proxy for tests: http-mitm-proxy in this process, on 127.0.0.1, with its
 * own CA generated into a temporary folder. It accepts CONNECT to any host:port, terminates the
 * client's TLS with a certificate for that host signed by its CA, as deep SSL inspection does.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proxy as MitmProxyServer } from 'http-mitm-proxy';

export interface MitmProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** The proxy's own CA, as it wrote it. */
  readonly caPem: string;
  /** CONNECT targets the proxy was asked for, in order. */
  readonly connects: readonly string[];
  close(): Promise<void>;
}

export async function startMitmProxy(): Promise<MitmProxy> {
  const sslCaDir = await mkdtemp(join(tmpdir(), 'fleetpulse-mitm-'));
  const proxy = new MitmProxyServer();
  const connects: string[] = [];
  proxy.onConnect((req, _socket, _head, callback) => {
    connects.push(req.url ?? '');
    callback();
  });
  // Its errors (the client hanging up on its forged certificate) are expected here; the library
  // would print each to the console.
  (proxy as unknown as { _onError: () => void })._onError = () => undefined;
  await new Promise<void>((resolve, reject) =>
    proxy.listen({ host: '127.0.0.1', port: 0, sslCaDir }, (err) => (err ? reject(err) : resolve())),
  );
  const port = (proxy as unknown as { httpPort: number }).httpPort;
  const caPem = await readFile(join(sslCaDir, 'certs', 'ca.pem'), 'utf8');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    caPem,
    connects,
    async close() {
      const internals = proxy as unknown as {
        httpServer?: Server;
        sslServers?: Record<string, { server?: Server }>;
      };
      const servers = [
        internals.httpServer,
        ...Object.values(internals.sslServers ?? {}).map((s) => s.server),
      ];
      for (const server of servers) server?.closeAllConnections();
      proxy.close();
      await rm(sslCaDir, { recursive: true, force: true });
    },
  };
}

/** The CN of a PEM certificate's subject, read with Node's own parser. */
export function subjectCommonName(pem: string): string {
  const subject = new X509Certificate(pem).subject;
  const cn = subject.split('\n').find((line) => line.startsWith('CN='));
  if (cn === undefined) throw new Error(`certificate has no CN: ${subject}`);
  return cn.slice(3);
}
