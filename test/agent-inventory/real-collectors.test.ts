import { describe, expect, it } from 'vitest';
import { collectInventory } from '#agent/inventory/collect.ts';
import { realCollectors } from '#agent/inventory/collectors/real.ts';
import { JsonObjectSchema, SECTION_NAMES } from '#protocol/inventory.ts';
import { withoutNulls } from '#protocol/merge-patch.ts';

describe.runIf(process.platform === 'linux')('real collectors on this Linux host', () => {
  it('return every section, null-free, within the timeout', async () => {
    const result = await collectInventory(realCollectors(), {}, { timeoutMs: 20_000 });

    expect(result.errors).toEqual([]);
    expect(Object.keys(result.sections)).toEqual([...SECTION_NAMES]);
    for (const value of Object.values(result.sections)) {
      expect(JsonObjectSchema.safeParse(value).success).toBe(true);
      expect(withoutNulls(value)).toEqual(value);
    }
    expect(result.sections.os).toMatchObject({ platform: 'linux' });
    expect(result.sections.security).toHaveProperty('firewall');
  });

  it('key installed packages by name:arch with a version', async () => {
    const { sections } = await collectInventory(realCollectors(), {}, { timeoutMs: 20_000 });
    const software = Object.entries(sections.software ?? {});
    expect(software.length).toBeGreaterThan(0);
    for (const [key, item] of software.slice(0, 20)) {
      expect(key).toMatch(/^[^:]+:[a-z0-9]+$/);
      expect(item).toHaveProperty('version');
    }
  });

  it('give the default interface its subnet in CIDR and the gateway', async () => {
    const { sections } = await collectInventory(realCollectors(), {}, { timeoutMs: 20_000 });
    const interfaces = Object.values(
      (sections.network?.interfaces ?? {}) as Record<string, Record<string, unknown>>,
    );
    const primary = interfaces.find((i) => i.default === true);
    if (primary === undefined) return; // a host without a default route has nothing to check
    expect(primary.ipv4Subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(primary.gateway).toEqual(sections.network?.gateway);
  });
});
