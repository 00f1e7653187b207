import { describe, expect, it } from 'vitest';
import { planWake } from '#agent/wake/plan.ts';
import { interfacesFromInventory, simulatedSends } from '#simulator/wake.ts';

describe('simulated Wake-on-LAN bridge', () => {
  it('reads the inventory network section as os.networkInterfaces() lists it', () => {
    const list = interfacesFromInventory({
      interfaces: {
        eno1: { mac: '3c:52:82:01:02:03', ipv4: ['10.2.11.40/24'], ipv6: ['fe80::1/64'], default: true },
        eno2: { mac: 'b4:96:91:00:00:01', operstate: 'down' },
        docker0: { mac: '02:42:00:00:00:01', ipv4: ['172.17.0.1/16', 'not an address'] },
      },
    });

    expect(list).toEqual({
      eno1: [
        {
          address: '10.2.11.40',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '3c:52:82:01:02:03',
          internal: false,
          cidr: '10.2.11.40/24',
        },
      ],
      eno2: undefined,
      docker0: [expect.objectContaining({ address: '172.17.0.1', netmask: '255.255.0.0' })],
    });
  });

  it('keeps a hostile interface name as data', () => {
    const list = interfacesFromInventory(JSON.parse('{"interfaces":{"__proto__":{"ipv4":["10.0.0.2/8"]}}}'));

    expect(Object.keys(list)).toEqual(['__proto__']);
  });

  it('lists every datagram the plan would send, sending none', () => {
    const plan = planWake(
      {
        type: 'wake-relay',
        commandId: 'c',
        issuedAt: 1,
        targets: [
          { deviceId: 't1', mac: '00:00:00:00:00:01' },
          { deviceId: 't2', mac: '00:00:00:00:00:02' },
        ],
        subnet: '10.2.11.0/24',
        broadcastAddress: '10.2.11.255',
        ports: [9, 7],
      },
      interfacesFromInventory({ interfaces: { eno1: { ipv4: ['10.2.11.40/24'] } } }),
    );

    const { sent, failures } = simulatedSends(plan);

    expect(failures).toEqual([]);
    expect(sent).toHaveLength(8);
    expect(sent[0]).toEqual({ deviceId: 't1', to: '10.2.11.255', port: 9, from: '10.2.11.40', bytes: 102 });
  });
});
