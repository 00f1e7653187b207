/**
 * The MQTT broker: aedes behind mutual TLS on 127.0.0.1. It enforces what the IoT policy enforces in
 * AWS: the certificate CN must be the client id, and a device publishes and subscribes only where
 * `deviceAcl` allows. Denied subscriptions are granted QoS 128; a denied publish closes the
 * connection, as AWS IoT does. Basic Ingest topics (`$aws/rules/<rule>/<topic>`) reach only that rule.
 * A PUBLISH whose payload exceeds IoT Core's 128 KB is refused like AWS refuses it (PAYLOAD_LIMIT_EXCEEDED:
 * never acknowledged, never routed, the connection closed with disconnect reason CLIENT_ERROR), as
 * soon as its header arrives, before its body is buffered.
 *
 * Two listeners share that handling: the 8883-style port (MQTT whatever ALPN the client offers, or
 * none), and the 443-style port (alpn-listener.ts), MQTT only with ALPN `x-amzn-mqtt-ca` and
 * HTTPS otherwise, like IoT Core's 443. Either may be left out.
 */
import { randomUUID } from 'node:crypto';
import type { Server as NetServer, Socket } from 'node:net';
import { createServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { MAX_PAYLOAD_BYTES } from '#protocol/encoding.ts';
import { isDeviceId } from '#protocol/ids.ts';
import type { LifecycleEvent } from '#protocol/lifecycle.ts';
import { BASIC_INGEST_PREFIX, deviceAcl, parseBasicIngest, topics } from '#protocol/topics.ts';
import { type AlpnListener, startAlpnListener } from './alpn-listener.ts';
import type { DevCa, IssuedCert } from './dev-ca.ts';
import { closeServer, listenLocal, plainIp } from './http.ts';
import {
  type ConnectionFacts,
  connectedEvent,
  type DisconnectReason,
  disconnectedEvent,
  LifecycleVersions,
} from './lifecycle.ts';
import type { Log } from './log.ts';
import { guardPacketSize } from './packet-size-guard.ts';

/** A publish that passed authorization, as the rule engine sees it. */
export interface DevicePublish {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string;
  readonly sourceIp?: string;
  /** Set for Basic Ingest: only this rule gets the message; `topic` is the topic after the prefix. */
  readonly ruleName?: string;
}

export interface LocalBroker {
  /** The 8883-style listener (any ALPN, or none); undefined when it was left out. */
  readonly url: string | undefined;
  /** The 443-style listener (MQTT only with ALPN x-amzn-mqtt-ca, else HTTPS); undefined when left out. */
  readonly alpnUrl: string | undefined;
  /** Publishes as the cloud (bypasses device authorization), like the IoT data plane. */
  publish(topic: string, payload: Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface BrokerOptions {
  /** The 8883-style listener's port (0: any free one); null: no such listener. */
  readonly port: number | null;
  /** The 443-style listener's port (0: any free one); null or absent: no such listener. */
  readonly alpnPort?: number | null;
  readonly ca: DevCa;
  readonly serverCert: IssuedCert;
  readonly log: Log;
  /** Routes a publish that passed authorization; the PUBACK waits for the returned promise. */
  readonly onDevicePublish: (message: DevicePublish) => Promise<void> | void;
  readonly onLifecycle: (event: LifecycleEvent) => void;
}

interface ConnectionState {
  facts: ConnectionFacts;
  reason?: DisconnectReason;
}

/** AWS IoT's reason for an oversize publish (the client is then disconnected with CLIENT_ERROR). */
const PAYLOAD_LIMIT_EXCEEDED = 'PAYLOAD_LIMIT_EXCEEDED: Message payload exceeds size limit for message type.';

function commonName(socket: TLSSocket): string | undefined {
  const cn = socket.getPeerCertificate()?.subject?.CN as string | string[] | undefined;
  return Array.isArray(cn) ? cn[0] : cn;
}

function authError(message: string): AuthenticateError {
  // 5 = "not authorized" (the enum is const and not importable at runtime).
  return Object.assign(new Error(message), { returnCode: 5 }) as AuthenticateError;
}

export async function startBroker(options: BrokerOptions): Promise<LocalBroker> {
  const { log } = options;
  const connections = new WeakMap<Client, ConnectionState>();
  const versions = new LifecycleVersions();
  const refused = new WeakSet<Client>();
  let stopping = false;

  function refuseOversize(client: Client, bytes: number): void {
    if (!refused.has(client)) {
      log.info(`refused a ${bytes}-byte publish from ${client.id}: ${PAYLOAD_LIMIT_EXCEEDED}`);
    }
    refused.add(client);
    const state = connections.get(client);
    if (state) state.reason = 'CLIENT_ERROR';
  }

  const broker = await Aedes.createBroker({
    // Device ids are up to 128 characters (thing names); MQTT 3.1's 23-character cap does not apply.
    maxClientsIdLength: 128,
    authenticate(client, _username, _password, done) {
      const socket = client.conn as TLSSocket;
      const cn = commonName(socket);
      // In AWS the IoT policy admits only a client id equal to the thing name, and device ids are
      // thing names (DEVICE_ID_PATTERN): an id with NUL, '/', '..' or unicode never connects.
      if (!isDeviceId(client.id)) {
        log.info(`refused client id ${JSON.stringify(client.id)}: not a device id`);
        return done(authError('client id is not a device id'), false);
      }
      if (!cn || cn !== client.id) {
        log.info(`refused client id "${client.id}": certificate CN is "${cn ?? '(none)'}"`);
        return done(authError('client id must equal the certificate CN'), false);
      }
      const previous = (broker as unknown as { clients: Record<string, Client> }).clients[client.id];
      const previousState = previous && connections.get(previous);
      if (previousState) previousState.reason = 'DUPLICATE_CLIENTID';
      connections.set(client, {
        facts: {
          clientId: client.id,
          sessionIdentifier: randomUUID(),
          principalIdentifier: socket.getPeerCertificate().fingerprint256?.replaceAll(':', '').toLowerCase(),
          ipAddress: plainIp(socket.remoteAddress),
        },
      });
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      // The socket guard closes the connection first; this catches a packet that was already whole in
      // the chunk the guard refused, so it is never routed.
      if (client && (refused.has(client) || packet.payload.length > MAX_PAYLOAD_BYTES)) {
        refuseOversize(client, packet.payload.length);
        return done(new Error(PAYLOAD_LIMIT_EXCEEDED));
      }
      const ingest = parseBasicIngest(packet.topic);
      const topic = ingest ? ingest.topic : packet.topic;
      if (client && deviceAcl.canPublish(client.id, topic)) {
        // Routed here, before aedes answers: the PUBACK waits until the rules have the message on
        // their queues, so what a device was told is accepted survives a crash of the cloud.
        const state = connections.get(client);
        const routed = options.onDevicePublish({
          topic,
          payload: Buffer.from(packet.payload),
          clientId: client.id,
          ...(state?.facts.ipAddress ? { sourceIp: state.facts.ipAddress } : {}),
          ...(ingest ? { ruleName: ingest.ruleName } : {}),
        });
        return void Promise.resolve(routed).then(
          () => done(null),
          (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
        );
      }
      log.info(`denied publish by ${client?.id ?? '(no client)'} to ${packet.topic}`);
      const state = client && connections.get(client);
      if (state) state.reason = 'FORBIDDEN_ACCESS';
      done(new Error(`not authorized to publish to ${packet.topic}`));
    },
    authorizeSubscribe(client, subscription, done) {
      if (deviceAcl.canSubscribe(client.id, subscription.topic)) return done(null, subscription);
      log.info(`denied subscribe by ${client.id} to ${subscription.topic}`);
      done(null, null); // granted QoS 128 (failure), the connection stays up
    },
    authorizeForward(_client, packet) {
      // Basic Ingest messages go to their rule only, never to subscribers.
      return packet.topic.startsWith(BASIC_INGEST_PREFIX) ? null : packet;
    },
  });

  broker.on('keepaliveTimeout', (client) => {
    const state = connections.get(client);
    if (state) state.reason = 'MQTT_KEEP_ALIVE_TIMEOUT';
  });
  broker.on('clientError', (client, err) => {
    log.debug(`client ${client.id} error: ${err.message}`);
    const state = connections.get(client);
    if (state && !state.reason) state.reason = 'CLIENT_ERROR';
  });
  broker.on('clientReady', (client) => {
    const state = connections.get(client);
    if (!state) return;
    log.debug(`client ${client.id} connected from ${state.facts.ipAddress}`);
    emitLifecycle(connectedEvent(state.facts, versions.next(client.id)));
  });
  broker.on('clientDisconnect', (client) => {
    const state = connections.get(client);
    if (!state) return;
    const cleanDisconnect = (client as unknown as { _disconnected?: boolean })._disconnected === true;
    const reason: DisconnectReason =
      state.reason ??
      (cleanDisconnect
        ? 'CLIENT_INITIATED_DISCONNECT'
        : stopping
          ? 'SERVER_INITIATED_DISCONNECT'
          : 'CONNECTION_LOST');
    log.debug(`client ${client.id} disconnected (${reason})`);
    emitLifecycle(disconnectedEvent(state.facts, versions.next(client.id), reason));
  });

  function emitLifecycle(event: LifecycleEvent): void {
    options.onLifecycle(event);
    // Also on the broker, for internal subscribers (devices cannot subscribe to $aws/...).
    broker.publish(
      {
        cmd: 'publish',
        topic: topics.presence(event.eventType, event.clientId),
        payload: Buffer.from(JSON.stringify(event)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => {},
    );
  }

  const tls: TlsOptions = {
    ca: options.ca.certPem,
    cert: options.serverCert.certPem,
    key: options.serverCert.keyPem,
    requestCert: true,
    rejectUnauthorized: true,
  };
  /** Every MQTT socket, from either listener: authenticated, authorized and size-guarded alike. */
  function handleMqtt(socket: TLSSocket): void {
    const client = broker.handle(socket);
    guardPacketSize(socket, MAX_PAYLOAD_BYTES, (oversize) => {
      refuseOversize(client, oversize.bytes);
      socket.destroy();
    });
  }

  let server: NetServer | undefined;
  // Sockets still in the TLS handshake are not aedes clients; stop() destroys them too.
  const sockets = new Set<Socket>();
  let port: number | undefined;
  if (options.port !== null) {
    server = createServer(
      {
        ...tls,
        // Clients may offer AWS's ALPN here too; IoT Core's 8883 takes MQTT whatever they offer.
        ALPNCallback: ({ protocols }) =>
          protocols.find((p) => p === 'x-amzn-mqtt-ca' || p === 'mqtt') ?? protocols[0],
      },
      handleMqtt,
    );
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('tlsClientError', (err, socket) => {
      log.debug(`TLS handshake refused from ${plainIp(socket.remoteAddress)}: ${err.message}`);
    });
    port = await listenLocal(server, options.port);
  }
  let alpn: AlpnListener | undefined;
  if (options.alpnPort !== undefined && options.alpnPort !== null) {
    try {
      alpn = await startAlpnListener({ port: options.alpnPort, tls, onMqtt: handleMqtt, log });
    } catch (err) {
      if (server) await closeServer(server);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      throw err;
    }
  }

  return {
    url: port === undefined ? undefined : `mqtts://127.0.0.1:${port}`,
    alpnUrl: alpn === undefined ? undefined : `mqtts://127.0.0.1:${alpn.port}`,
    publish: (topic, payload, publishOptions = {}) =>
      new Promise((resolve, reject) => {
        const packet: PublishPacket = {
          cmd: 'publish',
          topic,
          payload,
          qos: publishOptions.qos ?? 0,
          retain: publishOptions.retain ?? false,
          dup: false,
        };
        broker.publish(packet, (err) => (err ? reject(err) : resolve()));
      }),
    async stop() {
      stopping = true;
      const closed = server ? closeServer(server) : Promise.resolve();
      const alpnClosed = alpn?.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
      await alpnClosed;
    },
  };
}
