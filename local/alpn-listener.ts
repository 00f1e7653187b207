/**
 * The broker's "443-style" listener, checked the way AWS IoT Core checks its port 443: one TLS
 * port (same mutual TLS as 8883) that speaks MQTT only to a client that asked for ALPN
 * `x-amzn-mqtt-ca`. A client offering no ALPN, or `http/1.1`, reaches IoT's HTTPS endpoint
 * instead: here, an HTTP server that answers every request with a 403 JSON body and a `Date`
 * header (diagnose reads the server's clock from it). Any other ALPN offer is refused with TLS's
 * no_application_protocol alert, as an HTTPS server that speaks neither does.
 */
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { closeServer, listenLocal, plainIp } from './http.ts';
import type { Log } from './log.ts';

/** The ALPN protocol AWS IoT Core serves MQTT on over 443. */
export const MQTT_ALPN = 'x-amzn-mqtt-ca';
const HTTP_ALPN = 'http/1.1';

export interface AlpnListener {
  readonly port: number;
  /** Stops listening and drops every socket, MQTT and HTTPS alike. */
  close(): Promise<void>;
}

export interface AlpnListenerOptions {
  readonly port: number;
  /** The broker's TLS settings (CA, server certificate, client certificate required). */
  readonly tls: TlsOptions;
  /** Takes a socket that negotiated MQTT: the broker's own handling, as on its 8883-style port. */
  readonly onMqtt: (socket: TLSSocket) => void;
  readonly log: Log;
}

/** The body IoT's HTTPS endpoint would not give; ours says why MQTT was not served. */
function forbidden(res: ServerResponse): void {
  const body = JSON.stringify({
    message: `Forbidden: MQTT on this port requires TLS ALPN ${MQTT_ALPN}`,
  });
  // Node adds the Date header itself (sendDate); diagnose reads the server's clock from it.
  res.writeHead(403, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/** Picks MQTT for x-amzn-mqtt-ca, HTTP for http/1.1; undefined refuses the handshake. */
export function selectAlpn(offered: readonly string[]): string | undefined {
  if (offered.includes(MQTT_ALPN)) return MQTT_ALPN;
  if (offered.includes(HTTP_ALPN)) return HTTP_ALPN;
  return undefined;
}

export async function startAlpnListener(options: AlpnListenerOptions): Promise<AlpnListener> {
  const { log } = options;
  const https = createHttpServer((req, res) => {
    req.resume();
    forbidden(res);
  });
  // MQTT bytes (a client that forgot ALPN) are not HTTP: answered 400, then closed, never MQTT.
  https.on('clientError', (_err, socket) => {
    if (!socket.writable) return socket.destroy();
    const body = JSON.stringify({ message: `Bad Request: MQTT on this port requires TLS ALPN ${MQTT_ALPN}` });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  const server = createTlsServer(
    {
      ...options.tls,
      ALPNCallback: ({ protocols }) => selectAlpn(protocols),
    },
    (socket) => {
      if (socket.alpnProtocol === MQTT_ALPN) return options.onMqtt(socket);
      https.emit('connection', socket);
    },
  );
  // Sockets still in the TLS handshake belong to no server yet; close() destroys them too.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (err, socket) => {
    log.debug(`TLS handshake refused on the ALPN port from ${plainIp(socket.remoteAddress)}: ${err.message}`);
  });
  const port = await listenLocal(server, options.port);
  return {
    port,
    async close() {
      const closed = closeServer(server);
      for (const socket of sockets) socket.destroy();
      await closed;
      await closeServer(https);
    },
  };
}
