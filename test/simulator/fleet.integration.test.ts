import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevCa, ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';
import { decodeJson } from '#protocol/encoding.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { parseBasicIngest, parseDeviceTopic } from '#protocol/topics.ts';
import { startSimulatedFleet } from '#simulator/fleet.ts';
import { startTestBroker, type TestBroker } from '../agent/tls-broker.ts';

describe('simulated fleet', () => {
  let dir: string;
  let ca: DevCa;
  let broker: TestBroker;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-sim-'));
    ca = await ensureDevCa(join(dir, 'ca'));
    broker = await startTestBroker(ca);
  });

  afterAll(async () => {
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs real agents that each heartbeat as themselves, and reuses identities on restart', async () => {
    const heartbeats = new Map<string, unknown>();
    broker.aedes.on('publish', (packet, client) => {
      const parsed =
        client === null ? undefined : parseDeviceTopic(parseBasicIngest(packet.topic)?.topic ?? packet.topic);
      if (parsed?.kind === 'heartbeat' && client?.id === parsed.deviceId) {
        heartbeats.set(parsed.deviceId, HeartbeatSchema.parse(decodeJson(packet.payload as Buffer)));
      }
    });
    const options = {
      count: 3,
      mqttUrl: `mqtts://127.0.0.1:${broker.port}`,
      caCertPath: join(dir, 'ca', 'ca.pem'),
      issueIdentity: (deviceId: string) => issueDeviceCert(ca, deviceId),
      identityDir: join(dir, 'fleet'),
      seed: 42,
    };

    const fleet = await startSimulatedFleet(options);
    const certBefore = await readFile(join(dir, 'fleet', 'sim-0002', 'cert.pem'), 'utf8');
    await fleet.stop();
    const again = await startSimulatedFleet(options);
    await again.stop();

    expect(fleet.deviceIds).toEqual(['sim-0001', 'sim-0002', 'sim-0003']);
    expect(fleet.agents.every((a) => a.deviceId.startsWith('sim-'))).toBe(true);
    expect([...heartbeats.keys()].sort()).toEqual(fleet.deviceIds);
    expect(await readFile(join(dir, 'fleet', 'sim-0002', 'cert.pem'), 'utf8')).toBe(certBefore);
  });
});
