import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevCa, ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';
import { type CommandResult, CommandResultSchema } from '#protocol/commands.ts';
import { decodeJson, encodeJson } from '#protocol/encoding.ts';
import type { JsonObject } from '#protocol/inventory.ts';
import { parseBasicIngest, parseDeviceTopic, topics } from '#protocol/topics.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { simulatedInventoryModule } from '#simulator/inventory/module.ts';
import { startTestBroker, type TestBroker } from '../agent/tls-broker.ts';
import { waitFor } from '../support/wait.ts';

/** The default interface of a simulated host's network section: its name, address and subnet. */
function primaryInterface(network: JsonObject | undefined) {
  const interfaces = (network?.interfaces ?? {}) as Record<
    string,
    { default?: boolean; ipv4?: string[]; ipv4Subnet?: string }
  >;
  const [name, nic] = Object.entries(interfaces).find(([, n]) => n.default === true) ?? [];
  const address = nic?.ipv4?.[0]?.split('/')[0];
  if (name === undefined || address === undefined || nic?.ipv4Subnet === undefined)
    throw new Error('simulated host without a default interface');
  return { name, address, subnet: nic.ipv4Subnet };
}

describe('simulated fleet: Wake-on-LAN', () => {
  let dir: string;
  let ca: DevCa;
  let broker: TestBroker;
  let fleet: SimulatedFleet;
  const networks = new Map<string, () => JsonObject | undefined>();
  const results: CommandResult[] = [];
  const heartbeatsFrom: string[] = [];
  const reportsFrom: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-sim-wake-'));
    ca = await ensureDevCa(join(dir, 'ca'));
    broker = await startTestBroker(ca);
    broker.aedes.on('publish', (packet, client) => {
      if (client === null) return;
      const parsed = parseDeviceTopic(parseBasicIngest(packet.topic)?.topic ?? packet.topic);
      if (parsed?.kind === 'command-result')
        results.push(CommandResultSchema.parse(decodeJson(packet.payload as Buffer)));
      if (parsed?.kind === 'heartbeat') heartbeatsFrom.push(parsed.deviceId);
      if (parsed?.kind === 'report') reportsFrom.push(parsed.deviceId);
    });
    fleet = await startSimulatedFleet({
      count: 3,
      poweredOff: 1,
      mqttUrl: `mqtts://127.0.0.1:${broker.port}`,
      caCertPath: join(dir, 'ca', 'ca.pem'),
      issueIdentity: (deviceId) => issueDeviceCert(ca, deviceId),
      identityDir: join(dir, 'fleet'),
      seed: 7,
      modules: (deviceId, seed) => {
        const inventory = simulatedInventoryModule(deviceId, seed, { intervalMs: 3_600_000 });
        networks.set(deviceId, () => inventory.network());
        return [inventory];
      },
    });
  });

  afterAll(async () => {
    await fleet?.stop();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the last device powered off after its inventory (MAC, subnet) reached the cloud', () => {
    expect(fleet.poweredOff()).toEqual(['sim-0003']);
    expect(fleet.agents.map((a) => a.isConnected())).toEqual([true, true, false]);
    expect(reportsFrom).toContain('sim-0003');
  });

  it('a wake-relay to a simulated bridge reports what it would send from its interface, and powers the target on', async () => {
    const bridge = primaryInterface(networks.get('sim-0001')?.());
    const [a, b, c] = bridge.subnet.split('/')[0]?.split('.') ?? [];
    const broadcastAddress = `${a}.${b}.${c}.255`;
    const heartbeatsBefore = heartbeatsFrom.filter((id) => id === 'sim-0003').length;

    await broker.publish(
      topics.command('sim-0001'),
      encodeJson({
        type: 'wake-relay',
        commandId: 'sim-wake-1',
        issuedAt: Date.now(),
        targets: [{ deviceId: 'sim-0003', mac: '3c:52:82:00:00:03' }],
        subnet: bridge.subnet,
        broadcastAddress,
        ports: [9],
      }),
    );
    const result = await waitFor(() =>
      results.find((r) => r.commandId === 'sim-wake-1' && r.status !== 'acknowledged'),
    );
    await waitFor(() => heartbeatsFrom.filter((id) => id === 'sim-0003').length > heartbeatsBefore, {
      timeoutMs: 15_000,
      what: 'a heartbeat from the woken device',
    });

    expect(result).toMatchObject({
      status: 'succeeded',
      detail: {
        simulated: true,
        interface: bridge.name,
        sent: [
          { deviceId: 'sim-0003', to: broadcastAddress, port: 9, from: bridge.address, bytes: 102 },
          { deviceId: 'sim-0003', to: '255.255.255.255', port: 9, from: bridge.address, bytes: 102 },
        ],
      },
    });
    expect(fleet.poweredOff()).toEqual([]);
    expect(fleet.agents[2]?.isConnected()).toBe(true);
  });

  it('a wake naming a device that is already on changes nothing', async () => {
    const before = fleet.agents[1];

    await broker.publish(
      topics.command('sim-0001'),
      encodeJson({
        type: 'wake-relay',
        commandId: 'sim-wake-2',
        issuedAt: Date.now(),
        targets: [{ deviceId: 'sim-0002', mac: '3c:52:82:00:00:02' }],
        subnet: '192.168.77.0/24',
        broadcastAddress: '192.168.77.255',
        ports: [9, 7],
      }),
    );
    const result = await waitFor(() =>
      results.find((r) => r.commandId === 'sim-wake-2' && r.status !== 'acknowledged'),
    );

    expect(result).toMatchObject({
      status: 'succeeded',
      detail: {
        interface: null,
        sent: [
          { to: '192.168.77.255', port: 9 },
          { to: '192.168.77.255', port: 7 },
        ],
      },
    });
    expect(fleet.agents[1]).toBe(before);
  });
});
