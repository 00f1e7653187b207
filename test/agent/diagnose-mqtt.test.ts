/**
 * The MQTT check on the wire: what it sends (CONNECT with the device's client id and its persistent
 * session, then DISCONNECT, and nothing else: no PUBACK for queued messages), and how each answer
 * is named. A plain TCP server stands in for the broker, so the test sees every byte.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { generate, type Packet, parser } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMqttConnect } from '#agent/diagnose/check-mqtt.ts';

type Answer = (socket: Socket, connect: Packet) => void;

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A broker that answers CONNECT with `answer`, and records every packet the client sends. */
async function brokerAnswering(answer: Answer) {
  const received: Packet[] = [];
  let clientDone: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    clientDone = resolve;
  });
  server = createServer((socket) => {
    const packets = parser({ protocolVersion: 4 });
    packets.on('packet', (packet: Packet) => {
      received.push(packet);
      if (packet.cmd === 'connect') answer(socket, packet);
    });
    socket.on('data', (chunk) => packets.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => clientDone());
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received, closed };
}

const connack = (returnCode: number, sessionPresent = false) =>
  generate({ cmd: 'connack', returnCode, sessionPresent });

describe('the MQTT CONNECT check', () => {
  it('sends CONNECT with the persistent session, then DISCONNECT, and never acknowledges a queued message', async () => {
    const queued = generate({
      cmd: 'publish',
      topic: 'cmd/fleet/dev-1',
      payload: 'reboot',
      qos: 1,
      messageId: 7,
      dup: false,
      retain: false,
    });
    const broker = await brokerAnswering((s) => s.write(Buffer.concat([connack(0, true), queued])));

    const outcome = await checkMqttConnect(broker.socket, 'dev-1', 2_000);
    await broker.closed;

    expect(outcome).toEqual({
      result: 'ok',
      detail: 'CONNACK accepted for client id dev-1 (session present: yes)',
      remedy: null,
    });
    expect(broker.received.map((p) => p.cmd)).toEqual(['connect', 'disconnect']);
    expect(broker.received[0]).toMatchObject({ clientId: 'dev-1', clean: false, protocolVersion: 4 });
  });

  it('names "not authorized" with the IoT policy remedy for this client id', async () => {
    const broker = await brokerAnswering((s) => s.end(connack(5)));

    const outcome = await checkMqttConnect(broker.socket, 'dev-1', 2_000);

    expect(outcome).toMatchObject({
      result: 'fail',
      detail: 'CONNACK refused the connection: not authorized',
    });
    expect(outcome.remedy).toContain('allows iot:Connect as client id dev-1');
  });

  it('names a broker that closes the connection without CONNACK, as AWS IoT does', async () => {
    const broker = await brokerAnswering((s) => s.destroy());

    const outcome = await checkMqttConnect(broker.socket, 'dev-1', 2_000);

    expect(outcome.result).toBe('fail');
    expect(outcome.detail).toContain('closed the connection before CONNACK');
  });

  it('gives up on a server that never answers, within its timeout', async () => {
    const broker = await brokerAnswering(() => undefined);
    const started = Date.now();

    const outcome = await checkMqttConnect(broker.socket, 'dev-1', 300);

    expect(outcome).toMatchObject({
      result: 'fail',
      detail: expect.stringMatching(/^no CONNACK from .* within 300 ms$/),
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
