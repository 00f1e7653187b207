/**
 * A minimal MQTT broker over mutual TLS for agent tests: aedes behind a TLS server that demands
 * a client certificate from the dev CA. It can be taken down and brought back on the same port.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import type { Aedes, AedesPublishPacket } from 'aedes';
import { type AgentConfig, parseAgentConfig } from '#agent/config.ts';
import { type DevCa, ensureDevCa, issueDeviceCert, issueServerCert } from '#local/dev-ca.ts';

export interface TestBroker {
  readonly aedes: Aedes;
  readonly port: number;
  /** Resolves with the next publish from a client on `topic`. */
  nextPublish(topic: string): Promise<AedesPublishPacket>;
  /** Publishes to clients as the cloud would. */
  publish(topic: string, payload: Buffer): Promise<void>;
  /** Closes the listener and drops every connection (the broker's state stays). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBroker(ca: DevCa): Promise<TestBroker> {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const server = await issueServerCert(ca);
  const sockets = new Set<Socket>();
  let tlsServer: Server | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(
        {
          requestCert: true,
          rejectUnauthorized: true,
          ca: ca.certPem,
          cert: server.certPem,
          key: server.keyPem,
        },
        (socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          aedes.handle(socket);
        },
      );
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as AddressInfo).port;
        tlsServer = s;
        resolve();
      });
    });

  const down = () =>
    new Promise<void>((resolve) => {
      const s = tlsServer;
      tlsServer = undefined;
      for (const socket of sockets) socket.destroy();
      if (s === undefined) return resolve();
      s.close(() => resolve());
    });

  await listen();
  return {
    aedes,
    get port() {
      return port;
    },
    nextPublish: (topic) =>
      new Promise((resolve) => {
        const onPublish = (packet: AedesPublishPacket, client: unknown) => {
          if (client === null || packet.topic !== topic) return;
          aedes.off('publish', onPublish);
          resolve(packet);
        };
        aedes.on('publish', onPublish);
      }),
    publish: (topic, payload) =>
      new Promise((resolve, reject) =>
        aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    down,
    up: listen,
    close: async () => {
      await down();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export interface AgentFixture {
  /** Temporary folder holding the CA, the device's key and certificate, and the agent's data. */
  readonly dir: string;
  readonly broker: TestBroker;
  readonly config: AgentConfig;
}

/** A broker over mutual TLS and the config of an agent for `deviceId` that connects to it. */
export async function startAgentFixture(deviceId: string, prefix: string): Promise<AgentFixture> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const ca = await ensureDevCa(join(dir, 'ca'));
  const broker = await startTestBroker(ca);
  const device = await issueDeviceCert(ca, deviceId);
  await writeFile(join(dir, 'cert.pem'), device.certPem);
  await writeFile(join(dir, 'key.pem'), device.keyPem, { mode: 0o600 });
  const config = parseAgentConfig(
    {
      deviceId,
      region: 'local',
      endpoint: '127.0.0.1',
      port: broker.port,
      certPath: 'cert.pem',
      keyPath: 'key.pem',
      caPath: 'ca/ca.pem',
      dataDir: 'data',
      logLevel: 'silent',
    },
    dir,
  );
  return { dir, broker, config };
}
