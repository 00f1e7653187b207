import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketSizeScanner } from '#local/packet-size-guard.ts';
import { MAX_PAYLOAD_BYTES } from '#protocol/encoding.ts';
import { LifecycleEventSchema } from '#protocol/lifecycle.ts';
import type { RuleEvent } from '#wiring/rule-event.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';
import { publishHeader, streamPublish } from '../support/mqtt-raw.ts';
import { waitFor } from '../support/wait.ts';

describe('packet size scanner', () => {
  it('reports a publish one byte over the limit once its topic length is in, whatever the chunking', () => {
    const topic = 'dt/fleet/d/heartbeat';
    const header = publishHeader(topic, MAX_PAYLOAD_BYTES + 1);
    const scanner = new PacketSizeScanner(MAX_PAYLOAD_BYTES);

    const seen = [...header].map((byte) => scanner.scan(Buffer.from([byte])));

    // Fixed header, then the 2-byte topic length: the last byte the scanner needs.
    expect(seen.findIndex((s) => s !== undefined)).toBe(header.length - topic.length - 2 - 1);
    expect(seen.find((s) => s !== undefined)).toEqual({ packet: 'publish', bytes: MAX_PAYLOAD_BYTES + 1 });
  });

  it('lets packets of exactly the limit through and keeps following packet boundaries', () => {
    const scanner = new PacketSizeScanner(MAX_PAYLOAD_BYTES);
    const exact = Buffer.concat([publishHeader('t', MAX_PAYLOAD_BYTES), Buffer.alloc(MAX_PAYLOAD_BYTES)]);
    const ping = Buffer.from([0xc0, 0x00]);

    expect(scanner.scan(Buffer.concat([exact, ping, exact]))).toBeUndefined();
    expect(scanner.scan(publishHeader('t', MAX_PAYLOAD_BYTES + 10))).toMatchObject({ packet: 'publish' });
  });
});

describe('local broker: IoT Core payload limit', () => {
  let t: TestCloud;
  const heartbeats: RuleEvent[] = [];
  const presence: RuleEvent[] = [];

  beforeAll(async () => {
    t = await startTestCloud({
      handlersOverride: stubHandlers({
        heartbeat: async (event: RuleEvent) => void heartbeats.push(event),
        presence: async (event: RuleEvent) => void presence.push(event),
      }),
    });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const disconnectReason = async (deviceId: string): Promise<string | undefined> => {
    const event = await waitFor(() =>
      presence.find((e) => e.topic === `$aws/events/presence/disconnected/${deviceId}`),
    );
    return LifecycleEventSchema.parse(JSON.parse(Buffer.from(event.payload, 'base64').toString()))
      .disconnectReason;
  };

  it('accepts a publish of exactly 128 KB', async () => {
    const device = await t.deviceClient('size-ok');

    await device.publishAsync('dt/fleet/size-ok/heartbeat', Buffer.alloc(MAX_PAYLOAD_BYTES, 0x62), {
      qos: 1,
    });

    const event = await waitFor(() => heartbeats.find((e) => e.clientId === 'size-ok'));
    expect(Buffer.from(event.payload, 'base64')).toHaveLength(MAX_PAYLOAD_BYTES);
  });

  it('refuses a publish one byte over: no PUBACK, nothing routed, closed with CLIENT_ERROR', async () => {
    const device = await t.deviceClient('size-over');
    const pubacks: unknown[] = [];
    device.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') pubacks.push(packet);
    });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));

    device.publish('dt/fleet/size-over/heartbeat', Buffer.alloc(MAX_PAYLOAD_BYTES + 1), { qos: 1 });
    await closed;
    await t.cloud.idle();

    expect(pubacks).toEqual([]);
    expect(heartbeats.filter((e) => e.clientId === 'size-over')).toEqual([]);
    expect(await disconnectReason('size-over')).toBe('CLIENT_ERROR');
  });

  it('closes a 64 MB publish after its first bytes, and other devices carry on', async () => {
    const control = await t.deviceClient('size-control');
    const attacker = await t.deviceClient('size-huge');
    const rssBefore = process.memoryUsage().rss;

    const result = await streamPublish(attacker, 'dt/fleet/size-huge/heartbeat', 64 * 1024 * 1024);
    await control.publishAsync('dt/fleet/size-control/heartbeat', '{"still":"here"}', { qos: 1 });
    await t.cloud.idle();

    expect(result.closedEarly).toBe(true);
    expect(result.written).toBeLessThan(4 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
    expect(heartbeats.filter((e) => e.clientId === 'size-huge')).toEqual([]);
    expect(await disconnectReason('size-huge')).toBe('CLIENT_ERROR');
    await waitFor(() => heartbeats.find((e) => e.clientId === 'size-control'));
  });
});
