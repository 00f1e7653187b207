/**
 * The Wake-on-LAN bridge on a real (virtual) network: the real fleetpulse-agent runs in network
 * namespace A, connected to this process's local cloud through a forwarder; a UDP listener runs in
 * namespace B on the same veth segment (10.213.0.0/24) and, behind B, "another subnet"
 * (10.213.1.0/24, routed by A through B). Commands go through the local IoT data plane, as the
 * cloud's dispatcher sends them. Nothing is sent in the root namespace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { DevicePublish } from '#local/broker.ts';
import { type CommandResult, CommandResultSchema, type WakeRelayCommandSchema } from '#protocol/commands.ts';
import { decodeJson, encodeJson } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { deviceFolder } from '../support/device-folder.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { createNetnsPair, type NetnsPair, serveUnixToTcp, type UnixToTcpBridge } from '../support/netns.ts';
import type { GroupProcess } from '../support/process-group.ts';
import { waitFor } from '../support/wait.ts';

const BRIDGE = 'wol-bridge';
const A = '10.213.0.1';
const B = '10.213.0.2';
const MAC_1 = '00:1a:2b:3c:4d:5e';
const MAC_2 = '02:00:5e:10:00:01';
// By hand: six 0xFF, then the MAC sixteen times.
const PACKET_1 = `${'ff'.repeat(6)}${'001a2b3c4d5e'.repeat(16)}`;
const PACKET_2 = `${'ff'.repeat(6)}${'02005e100001'.repeat(16)}`;

interface Datagram {
  to: string;
  port: number;
  from: string;
  bytes: number;
  hex: string;
}

type WakeRelayInput = z.input<typeof WakeRelayCommandSchema>;

const byDestination = <T extends { to: string; port: number }>(list: T[]): T[] =>
  [...list].sort((x, y) => x.to.localeCompare(y.to) || x.port - y.port);

describe('Wake-on-LAN bridge agent in a network namespace', () => {
  let net: NetnsPair;
  let t: TestCloud;
  let dir: string;
  let unixBridge: UnixToTcpBridge;
  let agent: GroupProcess;
  let listener: GroupProcess;
  let iotData: IoTDataPlaneClient;
  const results: CommandResult[] = [];

  const datagrams = (): Datagram[] =>
    listener
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Datagram);

  const wake = async (command: Omit<WakeRelayInput, 'type' | 'issuedAt'>): Promise<CommandResult> => {
    const payload = encodeJson({ type: 'wake-relay', issuedAt: Date.now(), ...command });
    await iotData.send(new PublishCommand({ topic: topics.command(BRIDGE), qos: 1, payload }));
    return waitFor(
      () => results.find((r) => r.commandId === command.commandId && r.status !== 'acknowledged'),
      { timeoutMs: 15_000, what: `the bridge's result for ${command.commandId}` },
    );
  };

  const newDatagrams = async (before: number, count: number): Promise<Datagram[]> => {
    await waitFor(() => datagrams().length >= before + count, {
      timeoutMs: 10_000,
      what: `${count} datagrams in namespace B`,
    });
    return datagrams().slice(before);
  };

  beforeAll(async () => {
    net = await createNetnsPair({ a: `${A}/24`, b: `${B}/24` });
    // 10.213.1.0/24 sits behind B: B holds its broadcast address, A routes to it through B.
    await net.b.ip('addr', 'add', '10.213.1.1/24', 'dev', net.b.device);
    await net.a.ip('route', 'add', '10.213.1.0/24', 'via', B);

    t = await startTestCloud();
    t.cloud.onDevicePublish((message: DevicePublish) => {
      if (message.topic === topics.commandResult(BRIDGE))
        results.push(CommandResultSchema.parse(decodeJson(message.payload)));
    });
    iotData = new IoTDataPlaneClient({ endpoint: t.endpoints.iotDataEndpoint });

    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-wol-'));
    unixBridge = await serveUnixToTcp(join(dir, 'broker.sock'), Number(new URL(t.endpoints.mqttUrl).port));
    const forwarder = net.a.spawnNode(['test/support/netns-forwarder.ts', '0', unixBridge.socketPath]);
    const forwarded = await forwarder.line(/^forwarding 127\.0\.0\.1:\d+$/, 20_000);
    const port = Number(forwarded.split(':').at(-1));

    const folder = await deviceFolder(t, dir, BRIDGE, { port: port, logLevel: 'info' });
    const agentJson = await folder.writeAgentJson();

    listener = net.b.spawnNode([
      'test/support/udp-listener.ts',
      ...['10.213.0.255', '255.255.255.255', '10.213.1.255'].flatMap((a) => [`${a}:9`, `${a}:7`]),
    ]);
    agent = net.a.spawnNode(['cli/fleetpulse-agent.ts', 'run', '-c', agentJson]);
    await Promise.all([listener.line(/^listening$/, 20_000), agent.line(/"msg":"connected"/, 90_000)]);
    // The agent's real inventory collectors run before it connects: slow on a loaded CI machine.
  }, 150_000);

  afterAll(async () => {
    iotData?.destroy();
    await net?.cleanup();
    await unixBridge?.close();
    await t?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('on the subnet: the exact 102-byte packet reaches B on the directed and the limited broadcast, ports 9 and 7, from A', async () => {
    const before = datagrams().length;

    const result = await wake({
      commandId: 'wol-1',
      targets: [{ deviceId: 'dev-target-1', mac: MAC_1 }],
      subnet: '10.213.0.0/24',
      broadcastAddress: '10.213.0.255',
      ports: [9, 7],
    });
    const received = await newDatagrams(before, 4);

    expect(byDestination(received)).toEqual(
      byDestination(
        ['10.213.0.255', '255.255.255.255'].flatMap((to) =>
          [9, 7].map((port) => ({ to, port, from: A, bytes: 102, hex: PACKET_1 })),
        ),
      ),
    );
    expect(results.filter((r) => r.commandId === 'wol-1').map((r) => r.status)).toEqual([
      'acknowledged',
      'succeeded',
    ]);
    expect(result.detail).toEqual({
      targets: [{ deviceId: 'dev-target-1', mac: MAC_1 }],
      subnet: '10.213.0.0/24',
      interface: net.a.device,
      sent: ['10.213.0.255', '255.255.255.255'].flatMap((to) =>
        [9, 7].map((port) => ({ deviceId: 'dev-target-1', to, port, from: A, bytes: 102 })),
      ),
    });
  });

  it('sends each target of the subnet its own packet, 108 bytes with a SecureOn password', async () => {
    const before = datagrams().length;

    const result = await wake({
      commandId: 'wol-2',
      targets: [
        { deviceId: 'dev-target-1', mac: MAC_1 },
        { deviceId: 'dev-target-2', mac: MAC_2 },
      ],
      subnet: '10.213.0.0/24',
      broadcastAddress: '10.213.0.255',
      ports: [9],
      secureOn: 'de:ad:be:ef:00:01',
    });
    const received = await newDatagrams(before, 4);

    expect(result.status).toBe('succeeded');
    const directed = received.filter((d) => d.to === '10.213.0.255').map((d) => d.hex);
    expect(directed.sort()).toEqual([`${PACKET_1}deadbeef0001`, `${PACKET_2}deadbeef0001`].sort());
    expect(received.every((d) => d.bytes === 108 && d.from === A && d.port === 9)).toBe(true);
    expect(received.filter((d) => d.to === '255.255.255.255')).toHaveLength(2);
  });

  it('off the subnet: the directed broadcast only, routed from A, and no interface named', async () => {
    const before = datagrams().length;

    const result = await wake({
      commandId: 'wol-3',
      targets: [{ deviceId: 'dev-remote', mac: MAC_2 }],
      subnet: '10.213.1.0/24',
      broadcastAddress: '10.213.1.255',
      ports: [9, 7],
    });
    const received = await newDatagrams(before, 2);

    expect(byDestination(received)).toEqual([
      { to: '10.213.1.255', port: 7, from: A, bytes: 102, hex: PACKET_2 },
      { to: '10.213.1.255', port: 9, from: A, bytes: 102, hex: PACKET_2 },
    ]);
    expect(result).toMatchObject({
      status: 'succeeded',
      detail: {
        interface: null,
        sent: [
          { deviceId: 'dev-remote', to: '10.213.1.255', port: 9, from: A, bytes: 102 },
          { deviceId: 'dev-remote', to: '10.213.1.255', port: 7, from: A, bytes: 102 },
        ],
      },
    });
  });

  it('no interface in the subnet and no route to it: failed, with the reason, nothing sent', async () => {
    const result = await wake({
      commandId: 'wol-4',
      targets: [{ deviceId: 'dev-nowhere', mac: MAC_1 }],
      subnet: '10.214.0.0/24',
      broadcastAddress: '10.214.0.255',
      ports: [9],
    });

    expect(result.status).toBe('failed');
    expect(result.reason).toBe(
      '1 of 1 sends failed (no interface in 10.214.0.0/24, sending by the routing table): connect ENETUNREACH 10.214.0.255:9',
    );
    expect(result.detail).toMatchObject({ sent: [], failures: [{ to: '10.214.0.255', port: 9 }] });
  });

  it('refuses a broadcast address that is not the subnet’s own, sending nothing', async () => {
    const before = datagrams().length;

    const result = await wake({
      commandId: 'wol-5',
      targets: [{ deviceId: 'dev-target-1', mac: MAC_1 }],
      subnet: '10.213.0.0/24',
      broadcastAddress: '10.213.1.255',
      ports: [9],
    });

    expect(result).toMatchObject({
      status: 'failed',
      reason: 'broadcast address 10.213.1.255 is not the directed broadcast of 10.213.0.0/24 (10.213.0.255)',
    });
    // The previous cases' datagrams all arrived before their results were awaited; none came since.
    expect(datagrams()).toHaveLength(before);
  });
});
