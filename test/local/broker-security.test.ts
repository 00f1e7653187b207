import { join } from 'node:path';
import { connect } from 'node:tls';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';
import { LifecycleEventSchema } from '#protocol/lifecycle.ts';
import type { RuleEvent } from '#wiring/rule-event.ts';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

describe('local broker security (mutual TLS + device ACL)', () => {
  let t: TestCloud;
  const heartbeats: RuleEvent[] = [];
  const reports: string[] = [];
  const presence: RuleEvent[] = [];

  beforeAll(async () => {
    t = await startTestCloud({
      handlersOverride: stubHandlers({
        heartbeat: async (event: RuleEvent) => void heartbeats.push(event),
        presence: async (event: RuleEvent) => void presence.push(event),
        reports: async (event: { Records: unknown[] }) => void reports.push(JSON.stringify(event)),
      }),
    });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('delivers a device publish on its own topic to the matching topic rule, with client id and source IP', async () => {
    const device = await t.deviceClient('dev-a1');

    await device.publishAsync('dt/fleet/dev-a1/heartbeat', Buffer.from('{"hello":1}'), { qos: 1 });

    const event = await waitFor(() => heartbeats.find((e) => e.clientId === 'dev-a1'));
    expect(event.topic).toBe('dt/fleet/dev-a1/heartbeat');
    expect(Buffer.from(event.payload, 'base64').toString()).toBe('{"hello":1}');
    expect(event.sourceIp).toBe('127.0.0.1');
    expect(event.receivedAt).toBeGreaterThan(Date.now() - 10_000);
  });

  it("refuses a publish on another device's topics: the connection is closed and nothing is delivered", async () => {
    const victim = await t.deviceClient('dev-b1');
    const delivered: string[] = [];
    victim.on('message', (topic) => delivered.push(topic));
    await victim.subscribeAsync('cmd/fleet/dev-b1', { qos: 1 });
    const attacker = await t.deviceClient('dev-a2');
    const closed = new Promise<void>((resolve) => attacker.once('close', () => resolve()));

    attacker.publish('cmd/fleet/dev-b1', 'reboot', { qos: 0 });
    attacker.publish('dt/fleet/dev-b1/heartbeat', 'forged', { qos: 0 });
    await closed;
    await t.cloud.idle();

    expect(delivered).toEqual([]);
    expect(heartbeats.filter((e) => e.topic === 'dt/fleet/dev-b1/heartbeat')).toEqual([]);
  });

  it("grants QoS 128 (failure) on a subscription to another device's command topic", async () => {
    const device = await t.deviceClient('dev-a3');
    const suback = new Promise<number[]>((resolve) =>
      device.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback') resolve(packet.granted as number[]);
      }),
    );

    const subscribing = device.subscribeAsync(['cmd/fleet/dev-b3', 'cmd/fleet/dev-a3', 'cmd/fleet/+'], {
      qos: 1,
    });

    await expect(subscribing).rejects.toThrow(/Subscribe error/);
    expect(await suback).toEqual([128, 1, 128]);
    expect(device.connected).toBe(true);
  });

  it('refuses a connection whose client id differs from the certificate CN', async () => {
    const cert = await t.deviceCert('dev-a4');

    await expect(t.deviceClient('dev-a4', { clientId: 'dev-b4', cert })).rejects.toThrow(/Not authorized/i);
  });

  it('refuses a client certificate issued by another CA at the TLS handshake', async () => {
    const foreignCa = await ensureDevCa(join(t.dataDir, 'another-ca'));
    const issued = await issueDeviceCert(foreignCa, 'dev-a5');
    const forged = () => ({ cert: issued.certPem, key: issued.keyPem });

    const { port } = new URL(t.endpoints.mqttUrl);

    const handshake = new Promise<void>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port: Number(port),
        ca: t.cloud.ca.certPem,
        ...forged(),
        servername: 'localhost',
      });
      socket.on('error', reject);
      socket.on('data', () => resolve());
      socket.on('close', () => reject(new Error('closed by the server')));
    });
    const mqttConnect = mqtt.connectAsync(
      t.endpoints.mqttUrl,
      { clientId: 'dev-a5', protocolVersion: 4, ca: t.cloud.ca.certPem, ...forged(), reconnectPeriod: 0 },
      false,
    );

    await expect(handshake).rejects.toThrow(/unknown ca|alert|closed by the server/i);
    await expect(mqttConnect).rejects.toThrow();
  });

  it('routes a Basic Ingest publish ($aws/rules/<rule>/<topic>) to that rule only, with the inner topic', async () => {
    const device = await t.deviceClient('dev-a6');

    await device.publishAsync('$aws/rules/fleetpulse_heartbeat/dt/fleet/dev-a6/heartbeat', 'ingest', {
      qos: 1,
    });
    await device.publishAsync('$aws/rules/fleetpulse_heartbeat/dt/fleet/dev-a6/report', 'wrong-rule', {
      qos: 1,
    });

    const event = await waitFor(() => heartbeats.find((e) => e.clientId === 'dev-a6'));
    await t.cloud.idle();
    expect(event.topic).toBe('dt/fleet/dev-a6/heartbeat');
    expect(heartbeats.filter((e) => e.clientId === 'dev-a6')).toHaveLength(1);
    expect(reports.some((r) => r.includes('dev-a6'))).toBe(false);
  });

  it('emits connected and disconnected lifecycle events through the presence rule', async () => {
    const device = await t.deviceClient('dev-a7');
    await device.endAsync();

    const events = await waitFor(() => {
      const mine = presence.filter((e) => e.topic.endsWith('/dev-a7'));
      return mine.length >= 2 ? mine : undefined;
    });
    const [connected, disconnected] = events.map((e) =>
      LifecycleEventSchema.parse(JSON.parse(Buffer.from(e.payload, 'base64').toString())),
    );
    expect(events.map((e) => e.topic)).toEqual([
      '$aws/events/presence/connected/dev-a7',
      '$aws/events/presence/disconnected/dev-a7',
    ]);
    expect(connected).toMatchObject({ clientId: 'dev-a7', eventType: 'connected', ipAddress: '127.0.0.1' });
    expect(disconnected).toMatchObject({
      eventType: 'disconnected',
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      clientInitiatedDisconnect: true,
      sessionIdentifier: connected?.sessionIdentifier,
    });
    expect(disconnected?.versionNumber).toBeGreaterThan(connected?.versionNumber ?? Number.MAX_SAFE_INTEGER);
  });
});
