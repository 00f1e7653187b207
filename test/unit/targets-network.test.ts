import { describe, expect, it } from 'vitest';
import { addressSk, labelPartitions } from '#lambdas/targets/device-index.ts';
import { cidrOf, paddedIpv4, parseCidr, parseIpv4 } from '#lambdas/targets/ipv4.ts';
import { mergeLabels } from '#lambdas/targets/labels.ts';
import {
  addressItems,
  interfacesOf,
  MAX_ADDRESSES_PER_INTERFACE,
  MAX_INDEXED_INTERFACES,
} from '#lambdas/targets/network-index.ts';

describe('IPv4 keys', () => {
  it('pads addresses so that string order is numeric order', () => {
    const addresses = ['10.1.2.3', '10.1.2.20', '10.1.10.1', '9.255.255.255', '10.0.0.0'];
    const byString = addresses.map((a) => paddedIpv4(parseIpv4(a) as number)).sort();
    const byNumber = [...addresses].sort((a, b) => (parseIpv4(a) as number) - (parseIpv4(b) as number));

    expect(byString).toEqual(byNumber.map((a) => paddedIpv4(parseIpv4(a) as number)));
    expect(addressSk(parseIpv4('10.1.2.3') as number, 'dev-1')).toBe('010.001.002.003#dev-1');
  });

  it.each(['10.1.2', '10.1.2.256', '10.01.2.3', '10.1.2.3.4', 'a.b.c.d', ''])('refuses %j', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });

  it('turns a host address with its prefix into its subnet', () => {
    expect(cidrOf(parseCidr('10.1.2.34/24') as NonNullable<ReturnType<typeof parseCidr>>)).toBe(
      '10.1.2.0/24',
    );
    expect(parseCidr('10.1.2.34/33')).toBeUndefined();
  });
});

describe('interfacesOf (inventory network section → indexed interfaces)', () => {
  it('reads the agent and simulator shape, normalising MACs and skipping what is no address', () => {
    const interfaces = interfacesOf({
      gateway: '10.1.2.1',
      interfaces: {
        Ethernet: { mac: '3C-52-82-0A-1B-2C', ipv4: ['10.1.2.34/24', '10.1.3.4/24'], ipv6: ['fe80::1/64'] },
        'Wi-Fi': { mac: 'a4:bb:6d:00:00:01' },
        docker0: { mac: '02:42:00:00:00:01', ipv4: ['172.17.0.1/16'], virtual: true },
        lo: { mac: '00:00:00:00:00:00', ipv4: ['127.0.0.1/8', 'bogus', 42, '10.9.9.9'] },
      },
    });

    expect(interfaces).toEqual([
      {
        name: 'Ethernet',
        mac: '3c:52:82:0a:1b:2c',
        ipv4: [
          { address: '10.1.2.34', prefix: 24 },
          { address: '10.1.3.4', prefix: 24 },
        ],
      },
      { name: 'Wi-Fi', mac: 'a4:bb:6d:00:00:01', ipv4: [] },
      {
        name: 'docker0',
        mac: '02:42:00:00:00:01',
        ipv4: [{ address: '172.17.0.1', prefix: 16 }],
        virtual: true,
      },
      { name: 'lo', ipv4: [{ address: '10.9.9.9', prefix: 32 }] },
    ]);
  });

  it('keeps `__proto__` as an interface name like any other', () => {
    const section = JSON.parse(
      '{"interfaces":{"__proto__":{"mac":"02:00:00:00:00:01","ipv4":["10.0.0.5/8"]}}}',
    );

    expect(interfacesOf(section).map((i) => i.name)).toEqual(['__proto__']);
  });

  it('bounds what one device can put in the index', () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_INDEXED_INTERFACES + 10 }, (_, i) => [
        `if${i}`,
        { ipv4: Array.from({ length: 20 }, (_, j) => `10.${i}.${j}.1/24`) },
      ]),
    );

    const interfaces = interfacesOf({ interfaces: many });

    expect(interfaces).toHaveLength(MAX_INDEXED_INTERFACES);
    expect(Math.max(...interfaces.map((i) => i.ipv4.length))).toBe(MAX_ADDRESSES_PER_INTERFACE);
  });

  it('gives one address item per distinct address', () => {
    const items = addressItems(
      'dev-1',
      [
        { name: 'a', ipv4: [{ address: '10.0.0.5', prefix: 8 }] },
        { name: 'b', ipv4: [{ address: '10.0.0.5', prefix: 24 }] },
      ],
      3,
    );

    expect(items).toEqual([
      {
        pk: 'ip4#10',
        sk: '010.000.000.005#dev-1',
        deviceId: 'dev-1',
        iface: 'a',
        address: '10.0.0.5',
        prefix: 8,
        g: 3,
      },
    ]);
  });
});

describe('mergeLabels', () => {
  it('replaces given labels, removes nulls, keeps absent ones, and keeps tags a sorted set', () => {
    expect(
      mergeLabels({ group: 'a', site: 's', tags: ['x'] }, { site: null, tags: ['z', 'y', 'z'] }),
    ).toEqual({
      group: 'a',
      tags: ['y', 'z'],
    });
    expect(mergeLabels(undefined, { group: 'g' })).toEqual({ group: 'g' });
    expect(mergeLabels({ tags: ['x'] }, { tags: [] })).toEqual({});
  });

  it('names the index partitions of a device’s labels', () => {
    expect(labelPartitions({ group: 'g', site: 's', tags: ['a', 'b'] })).toEqual([
      'group#g',
      'site#s',
      'tag#a',
      'tag#b',
    ]);
  });
});
