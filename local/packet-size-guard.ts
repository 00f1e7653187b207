/**
 * IoT Core's payload limit, enforced before the broker buffers a packet. aedes (mqtt-packet) only
 * hands a PUBLISH over once its whole body has arrived, so a 64 MB publish would be held in memory
 * and PUBACKed. This guard reads the MQTT 3.1.1 framing of the bytes the broker reads from the
 * socket (the fixed header's remaining length, and a PUBLISH's topic length) and reports an
 * oversize packet as soon as its header is in, so the broker can close the connection with only the
 * first chunk of the body ever held.
 */
import type { Duplex } from 'node:stream';

/** Largest remaining length any packet may declare: a maximal PUBLISH (topic up to 64 KB, packet id). */
export function maxRemainingLength(maxPayloadBytes: number): number {
  return maxPayloadBytes + 2 + 0xffff + 2;
}

export interface Oversize {
  /** The packet type from the fixed header ('publish', 'subscribe', ...). */
  readonly packet: string;
  /** Payload bytes for a PUBLISH, the remaining length for anything else. */
  readonly bytes: number;
}

const PUBLISH = 3;
const PACKET_TYPES = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
];

/** Follows packet boundaries across chunks; `scan` returns the first oversize packet it sees. */
export class PacketSizeScanner {
  #state: 'header' | 'length' | 'topicLength' | 'body' = 'header';
  #type = 0;
  #qos = 0;
  #remaining = 0;
  #lengthBytes = 0;
  #multiplier = 1;
  #topicLengthBytes: number[] = [];
  #done = false;

  constructor(readonly maxPayloadBytes: number) {}

  scan(chunk: Uint8Array): Oversize | undefined {
    let i = 0;
    while (i < chunk.length && !this.#done) {
      switch (this.#state) {
        case 'header': {
          const byte = chunk[i++] as number;
          this.#type = byte >> 4;
          this.#qos = (byte >> 1) & 3;
          this.#remaining = 0;
          this.#lengthBytes = 0;
          this.#multiplier = 1;
          this.#state = 'length';
          break;
        }
        case 'length': {
          const byte = chunk[i++] as number;
          this.#remaining += (byte & 0x7f) * this.#multiplier;
          this.#multiplier *= 128;
          this.#lengthBytes++;
          if (byte & 0x80) {
            // A malformed length: the broker's parser rejects it; nothing more to follow.
            if (this.#lengthBytes >= 4) this.#done = true;
            break;
          }
          if (this.#remaining > maxRemainingLength(this.maxPayloadBytes)) {
            this.#done = true;
            return { packet: PACKET_TYPES[this.#type] ?? 'unknown', bytes: this.#remaining };
          }
          this.#topicLengthBytes = [];
          this.#state = this.#type === PUBLISH && this.#remaining >= 2 ? 'topicLength' : 'body';
          if (this.#state === 'body' && this.#remaining === 0) this.#state = 'header';
          break;
        }
        case 'topicLength': {
          this.#topicLengthBytes.push(chunk[i++] as number);
          this.#remaining--;
          if (this.#topicLengthBytes.length < 2) break;
          const [hi = 0, lo = 0] = this.#topicLengthBytes;
          const payload = this.#remaining - ((hi << 8) | lo) - (this.#qos > 0 ? 2 : 0);
          if (payload > this.maxPayloadBytes) {
            this.#done = true;
            return { packet: 'publish', bytes: payload };
          }
          this.#state = this.#remaining > 0 ? 'body' : 'header';
          break;
        }
        case 'body': {
          const take = Math.min(this.#remaining, chunk.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'header';
          break;
        }
      }
    }
    return undefined;
  }
}

/**
 * Watches what the broker reads from `socket` (a 'data' listener sees each chunk `read()` returns,
 * before the broker parses it, without changing how the broker reads) and calls `onOversize` once.
 */
export function guardPacketSize(
  socket: Duplex,
  maxPayloadBytes: number,
  onOversize: (oversize: Oversize) => void,
): void {
  const scanner = new PacketSizeScanner(maxPayloadBytes);
  const onData = (chunk: Buffer): void => {
    const oversize = scanner.scan(chunk);
    if (!oversize) return;
    socket.off('data', onData);
    onOversize(oversize);
  };
  socket.on('data', onData);
}
