/**
 * A wake end to end on a real (virtual) network: `POST /commands {type: wake}` through the local
 * cloud; the dispatcher picks the real fleetpulse-agent in namespace A (its inventory put its
 * interface in 10.213.0.0/24 in the index) as the bridge; the magic packet reaches a UDP listener
 * in namespace B on the directed broadcast address; the target's agent (in B) then starts, connects,
 * and the command turns `succeeded`. The target's MAC and subnet come from a real report: its agent
 * runs in B once, reports its inventory, and is stopped. Nothing is sent in the root namespace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProjection } from '#lambdas/targets/network-index.ts';
import { tables } from '#wiring/fleet.ts';
import { callApi, waitForOutcome } from '../support/commands-api.ts';
import { deviceFolder } from '../support/device-folder.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import {
  createNetnsPair,
  type Namespace,
  type NetnsPair,
  serveUnixToTcp,
  type UnixToTcpBridge,
} from '../support/netns.ts';
import type { GroupProcess } from '../support/process-group.ts';
import { waitFor } from '../support/wait.ts';

const BRIDGE = 'wol-e2e-bridge';
const TARGET = 'wol-e2e-target';
const A = '10.213.0.1';
const B = '10.213.0.2';
// A fixed, locally administered MAC for B's interface, so the expected packet is known by hand.
const TARGET_MAC = '02:5e:00:00:00:0b';
const PACKET = `${'ff'.repeat(6)}${'025e0000000b'.repeat(16)}`;
// The inventory counts `veth*` names as virtual adapters (no Wake-on-LAN through them), as a
// physical port would not be: each namespace's end gets a plain name. Names are per namespace.
const LAN = 'lan0';

interface Datagram {
  to: string;
  port: number;
  from: string;
  bytes: number;
  hex: string;
}

describe('wake end to end: POST /commands → bridge in namespace A → magic packet in B → target connects', () => {
  let net: NetnsPair;
  let t: TestCloud;
  let dir: string;
  let unixBridge: UnixToTcpBridge;
  let listener: GroupProcess;
  const forwarded = new Map<Namespace, number>();

  const indexDeps = () => ({
    ddb: t.aws.ddb,
    devicesTable: tables.devices.localName,
    deviceIndexTable: tables.deviceIndex.localName,
  });

  const datagrams = (): Datagram[] =>
    listener
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Datagram);

  async function deviceStatus(deviceId: string): Promise<string | undefined> {
    const res = await callApi(t, 'GET', `/devices/${deviceId}`);
    return res.status === 200 ? res.body.status : undefined;
  }

  /** The broker as seen from inside `ns`: a forwarder on the namespace's own 127.0.0.1. */
  async function brokerPort(ns: Namespace): Promise<number> {
    const known = forwarded.get(ns);
    if (known !== undefined) return known;
    const forwarder = ns.spawnNode(['test/support/netns-forwarder.ts', '0', unixBridge.socketPath]);
    const line = await forwarder.line(/^forwarding 127\.0\.0\.1:\d+$/, 20_000);
    const port = Number(line.split(':').at(-1));
    forwarded.set(ns, port);
    return port;
  }

  async function agentConfig(deviceId: string, ns: Namespace): Promise<string> {
    const folder = await deviceFolder(t, dir, deviceId, { port: await brokerPort(ns), logLevel: 'info' });
    const agentJson = await folder.writeAgentJson();
    return agentJson;
  }

  const runAgent = (ns: Namespace, configPath: string): GroupProcess =>
    ns.spawnNode(['cli/fleetpulse-agent.ts', 'run', '-c', configPath]);

  /** Until the index holds the device's interface in the test subnet (its inventory report landed). */
  const indexed = (deviceId: string) =>
    waitFor(
      async () => {
        const projection = await getProjection(indexDeps(), deviceId);
        return projection?.interfaces.find(
          (i) => !i.virtual && i.ipv4.some((a) => a.address.startsWith('10.213.0.')),
        );
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `${deviceId}'s interface in 10.213.0.0/24 indexed` },
    );

  beforeAll(async () => {
    net = await createNetnsPair({ a: `${A}/24`, b: `${B}/24` });
    for (const ns of [net.a, net.b]) {
      await ns.ip('link', 'set', 'dev', ns.device, 'down');
      await ns.ip('link', 'set', 'dev', ns.device, 'name', LAN);
      await ns.ip('link', 'set', 'dev', LAN, 'up');
    }
    await net.b.ip('link', 'set', 'dev', LAN, 'address', TARGET_MAC);

    t = await startTestCloud();
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-wol-e2e-'));
    unixBridge = await serveUnixToTcp(join(dir, 'broker.sock'), Number(new URL(t.endpoints.mqttUrl).port));

    // The target reports once (a real inventory report from B: its MAC and address), then is off.
    const target = runAgent(net.b, await agentConfig(TARGET, net.b));
    const bridge = runAgent(net.a, await agentConfig(BRIDGE, net.a));
    // The agents' real inventory collectors run before they connect: slow on a loaded CI machine.
    await Promise.all([target.line(/"msg":"connected"/, 90_000), bridge.line(/"msg":"connected"/, 90_000)]);
    const targetNic = await indexed(TARGET);
    expect(targetNic.mac).toBe(TARGET_MAC);
    await indexed(BRIDGE);
    target.signal('SIGINT');
    await target.exited;
    await waitFor(async () => (await deviceStatus(TARGET)) === 'offline', {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: 'the target offline',
    });

    listener = net.b.spawnNode([
      'test/support/udp-listener.ts',
      ...['10.213.0.255', '255.255.255.255'].flatMap((a) => [`${a}:9`, `${a}:7`]),
    ]);
    await listener.line(/^listening$/, 20_000);
  }, 240_000);

  afterAll(async () => {
    await net?.cleanup();
    await unixBridge?.close();
    await t?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends the exact magic packet through the bridge, then succeeds when the target connects', async () => {
    const res = await callApi(t, 'POST', '/commands', { type: 'wake', target: { deviceIds: [TARGET] } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const commandId = res.body.commandId as string;

    await waitFor(() => datagrams().length >= 4, { timeoutMs: 20_000, what: 'four datagrams in B' });
    const sent = datagrams().sort((x, y) => x.to.localeCompare(y.to) || x.port - y.port);
    expect(sent).toEqual(
      ['10.213.0.255', '255.255.255.255'].flatMap((to) =>
        [7, 9].map((port) => ({ to, port, from: A, bytes: 102, hex: PACKET })),
      ),
    );

    const acknowledged = await waitForOutcome(t, commandId, TARGET, ['acknowledged'], 20_000);
    expect(acknowledged.reason).toBe(`magic packet sent by bridge ${BRIDGE}`);
    expect(acknowledged.detail).toMatchObject({
      bridge: BRIDGE,
      subnet: '10.213.0.0/24',
      interface: LAN,
      targets: [{ deviceId: TARGET, mac: TARGET_MAC }],
    });
    expect(acknowledged.history.find((h) => h.state === 'dispatched')?.reason).toBe(`sent to ${BRIDGE}`);

    // The "boot": the target's agent starts again and connects.
    runAgent(net.b, join(dir, TARGET, 'agent.json'));
    const outcome = await waitForOutcome(t, commandId, TARGET, ['succeeded', 'failed'], 120_000);
    expect(outcome).toMatchObject({ state: 'succeeded', reason: 'the target connected' });
    expect(outcome.detail).toMatchObject({ bridge: BRIDGE });
  }, 180_000);
});
