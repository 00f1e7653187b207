/**
 * Writes MQTT PUBLISH packets by hand on a connected mqtt.js client's socket: lets a test claim a
 * 64 MB payload and stream it in small chunks (the test process never holds it), and see how far
 * the broker reads before it closes the connection.
 */
import type { MqttClient } from 'mqtt';

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  let value = n;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** Fixed header + variable header of a QoS 1 PUBLISH whose payload is `payloadBytes` long. */
export function publishHeader(topic: string, payloadBytes: number, packetId = 0x7001): Buffer {
  const topicBytes = Buffer.from(topic, 'utf8');
  const variable = Buffer.alloc(2 + topicBytes.length + 2);
  variable.writeUInt16BE(topicBytes.length, 0);
  topicBytes.copy(variable, 2);
  variable.writeUInt16BE(packetId, 2 + topicBytes.length);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(variable.length + payloadBytes), variable]);
}

export interface StreamedPublish {
  /** Payload bytes the socket accepted before it closed (or all of them). */
  readonly written: number;
  /** True if the broker closed the connection before the whole payload was written. */
  readonly closedEarly: boolean;
}

/**
 * Streams a QoS 1 PUBLISH of `payloadBytes` (filled with `fill`) in 64 KB chunks, honouring
 * backpressure, until it is all written or the connection closes.
 */
export async function streamPublish(
  client: MqttClient,
  topic: string,
  payloadBytes: number,
  fill = 0x61,
): Promise<StreamedPublish> {
  const socket = client.stream;
  const chunk = Buffer.alloc(64 * 1024, fill);
  let closed = socket.destroyed;
  const closedSignal = new Promise<void>((resolve) => {
    const onClose = (): void => {
      closed = true;
      resolve();
    };
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
  const write = (buf: Buffer): Promise<void> =>
    Promise.race([
      closedSignal,
      new Promise<void>((resolve) => {
        if (socket.write(buf)) resolve();
        else socket.once('drain', () => resolve());
      }),
    ]);
  await write(publishHeader(topic, payloadBytes));
  let written = 0;
  while (written < payloadBytes && !closed) {
    const part = chunk.subarray(0, Math.min(chunk.length, payloadBytes - written));
    await write(part);
    if (!closed) written += part.length;
  }
  return { written, closedEarly: closed && written < payloadBytes };
}
