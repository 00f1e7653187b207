/**
 * A TCP relay between an agent and its broker, standing in for the network: it can cut every live
 * connection (as a NAT timeout or a Wi-Fi drop does) and refuse new ones for a while. Bytes pass
 * through untouched, so TLS and MQTT run end to end. Listens on 127.0.0.1 only.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  /** Connections relayed so far. */
  readonly accepted: number;
  /** Destroys every relayed connection, both sides, at once. */
  cut(): void;
  /** Stops listening (new connections are refused) until `restore`. Live ones stay. */
  refuse(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let accepted = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        accepted += 1;
        const upstream = connect(target.port, target.host);
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        // One side gone: the other goes too, as a real cut would look to both ends.
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  /** Stops accepting at once; `closed` settles when the live connections are gone too. */
  const stopListening = (): { closed: Promise<void> } => {
    const s = server;
    server = undefined;
    return {
      closed: new Promise<void>((resolve) => (s === undefined ? resolve() : s.close(() => resolve()))),
    };
  };

  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };

  await listen();
  return {
    get port() {
      return port;
    },
    get accepted() {
      return accepted;
    },
    cut,
    refuse: async () => void stopListening(),
    restore: listen,
    close: async () => {
      const { closed } = stopListening();
      cut();
      await closed;
    },
  };
}
