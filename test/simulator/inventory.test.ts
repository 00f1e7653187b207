import { describe, expect, it } from 'vitest';
import { JsonObjectSchema, SECTION_NAMES } from '#protocol/inventory.ts';
import { withoutNulls } from '#protocol/merge-patch.ts';
import { createRng, SimulatedHost } from '#simulator/inventory/generated-host.ts';

const rawSize = (host: SimulatedHost) => Buffer.byteLength(JSON.stringify(host.sections()));

describe('SimulatedHost', () => {
  it('generates the same host and the same churn from the same seed', () => {
    const a = new SimulatedHost(42);
    const b = new SimulatedHost(42);
    const ra = createRng(7);
    const rb = createRng(7);
    for (let i = 0; i < 20; i++) expect(a.step(ra)).toEqual(b.step(rb));
    expect(a.sections()).toEqual(b.sections());
    expect(new SimulatedHost(43).sections()).not.toEqual(new SimulatedHost(42).sections());
  });

  it('is about 75 KB of raw JSON per device (±15%), for Windows and Linux', () => {
    for (const platform of ['windows', 'linux'] as const) {
      for (let seed = 1; seed <= 10; seed++) {
        const size = rawSize(new SimulatedHost(seed, { platform }));
        expect(size, `${platform} seed ${seed}`).toBeGreaterThan(75 * 1024 * 0.85);
        expect(size, `${platform} seed ${seed}`).toBeLessThan(75 * 1024 * 1.15);
      }
    }
  });

  it('produces every section as null-free JSON objects', () => {
    const sections = new SimulatedHost(5).sections();
    expect(Object.keys(sections)).toEqual([...SECTION_NAMES]);
    for (const value of Object.values(sections)) {
      expect(JsonObjectSchema.safeParse(value).success).toBe(true);
      expect(withoutNulls(value)).toEqual(value);
    }
  });

  it('churns realistically: most steps change a little, some change nothing', () => {
    const host = new SimulatedHost(9, { platform: 'windows' });
    const rng = createRng(1);
    const changes = Array.from({ length: 200 }, () => host.step(rng));
    expect(changes.filter((c) => c.length === 0).length).toBeGreaterThan(20);
    expect(changes.flat().some((c) => c.startsWith('software'))).toBe(true);
    expect(changes.flat().some((c) => c.startsWith('service'))).toBe(true);
    expect(Math.max(...changes.map((c) => c.length))).toBeLessThan(15);
  });

  it('puts the default interface on a subnet shared with other devices', () => {
    const subnet = { cidr: '10.9.10.0/24', gateway: '10.9.10.1' };
    const network = new SimulatedHost(3, { subnet }).sections().network as {
      interfaces: Record<string, JsonObjectLike>;
    };
    const primary = Object.values(network.interfaces).find((i) => i.default === true);
    expect(primary).toMatchObject({ ipv4Subnet: '10.9.10.0/24', gateway: '10.9.10.1' });
    expect(primary?.ipv4).toEqual([expect.stringMatching(/^10\.9\.10\.\d+\/24$/)]);
  });
});

type JsonObjectLike = Record<string, unknown>;
