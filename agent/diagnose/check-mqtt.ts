/**
 * MQTT CONNECT with the device's identity, on the socket the TLS check verified.
 *
 * Written by hand with mqtt-packet, not with mqtt.js: the client id is the device's, whose session
 * is persistent (clean false), and the broker delivers that session's queued QoS 1 messages on
 * connect; mqtt.js would acknowledge them and take commands meant for the agent. Here nothing is
 * acknowledged: CONNECT, read the CONNACK, DISCONNECT, close. The broker keeps the session and
 * redelivers to the agent, which IoT briefly disconnected by handing its client id to us.
 */
import type { Socket } from 'node:net';
import { generate, type Packet, parser } from 'mqtt-packet';
import { fail, type Outcome, ok } from './outcome.ts';

const PROTOCOL_VERSION = 4;
const KEEPALIVE_SEC = 60;

const CONNACK_REMEDIES: Record<
  number,
  { readonly what: string; readonly remedy: (clientId: string) => string }
> = {
  1: {
    what: 'unacceptable protocol version',
    remedy: () => 'the broker does not speak MQTT 3.1.1: check the endpoint',
  },
  2: { what: 'client id rejected', remedy: (id) => `check agent.json deviceId (${id})` },
  3: { what: 'server unavailable', remedy: () => 'retry later; the broker is unavailable' },
  4: {
    what: 'bad user name or password',
    remedy: () => 'the broker expects certificate authentication: check the endpoint',
  },
  5: {
    what: 'not authorized',
    remedy: (id) =>
      `register and activate the device certificate, and attach an IoT policy that allows iot:Connect as client id ${id}`,
  },
};

export async function checkMqttConnect(
  socket: Socket,
  clientId: string,
  timeoutMs: number,
  /** The endpoint as host:port (through a proxy, the socket's peer is the proxy). */
  where = 'the broker',
): Promise<Outcome> {
  const closedRemedy = `check that the certificate is registered and active, and that its IoT policy allows iot:Connect as client id ${clientId}`;
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const packets = parser({ protocolVersion: PROTOCOL_VERSION });
    const done = (outcome: Outcome, accepted: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      // A clean DISCONNECT keeps the persistent session for the agent; nothing else is written.
      if (accepted && socket.writable) {
        socket.end(generate({ cmd: 'disconnect' }));
        setTimeout(() => socket.destroy(), 1_000).unref();
      } else {
        socket.destroy();
      }
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => packets.parse(chunk);
    packets.on('packet', (packet: Packet) => {
      // PUBLISH packets of the persistent session are ignored on purpose: never PUBACKed.
      if (packet.cmd !== 'connack') return;
      const code = packet.returnCode ?? 0;
      if (code === 0) {
        done(
          ok(
            `CONNACK accepted for client id ${clientId} (session present: ${packet.sessionPresent ? 'yes' : 'no'})`,
          ),
          true,
        );
        return;
      }
      const known = CONNACK_REMEDIES[code];
      done(
        fail(
          `CONNACK refused the connection: ${known?.what ?? `return code ${code}`}`,
          known?.remedy(clientId) ?? closedRemedy,
        ),
        false,
      );
    });
    packets.on('error', (err: Error) =>
      done(
        fail(
          `the broker answered CONNECT with something that is not MQTT: ${err.message}`,
          'check the endpoint and port',
        ),
        false,
      ),
    );
    const timer = setTimeout(
      () =>
        done(
          fail(
            `no CONNACK from ${where} within ${timeoutMs} ms`,
            'check that the endpoint is an MQTT broker (AWS IoT ATS endpoint)',
          ),
          false,
        ),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('close', () =>
      done(
        fail(
          `the broker closed the connection before CONNACK (as AWS IoT does when it refuses the device)`,
          closedRemedy,
        ),
        false,
      ),
    );
    socket.once('error', (err: Error) =>
      done(fail(`the connection failed before CONNACK: ${err.message}`, closedRemedy), false),
    );
    socket.write(
      generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: PROTOCOL_VERSION,
        clientId,
        clean: false,
        keepalive: KEEPALIVE_SEC,
      }),
    );
  });
}
