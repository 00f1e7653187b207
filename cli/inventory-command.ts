/** `fleetpulse devices inventory <id>` and `fleetpulse devices changes <id>`: a device's inventory and its history. */
import { type Command, InvalidArgumentError } from 'commander';
import type { InventoryChange } from '#lambdas/inventory/read-model.ts';
import { SECTION_NAMES } from '#protocol/inventory.ts';
import { getInventory, listInventoryChanges } from './api-client.ts';
import { type ApiOptions, apiOptions, apiTarget } from './api-options.ts';
import { table, text, timestamp } from './format.ts';

const sectionsArg = (value: string): string[] => {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(SECTION_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`sections are a comma-separated list of ${SECTION_NAMES.join(', ')}`);
  }
  return names;
};

const limitArg = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new InvalidArgumentError('must be a whole number 1..100');
  return n;
};

function sectionCounts(change: InventoryChange): string {
  return Object.entries(change.sections)
    .map(([name, s]) => (s ? `${name} +${s.counts.added} -${s.counts.removed} ~${s.counts.changed}` : name))
    .join(', ');
}

export function addInventoryCommands(devices: Command, deviceIdArg: (value: string) => string): void {
  apiOptions(
    devices
      .command('inventory')
      .description("show a device's current inventory, section by section")
      .argument('<id>', 'device id', deviceIdArg)
      .option(
        '--sections <names>',
        `only these sections, comma-separated (${SECTION_NAMES.join(',')})`,
        sectionsArg,
      ),
  ).action(async (id: string, opts: ApiOptions & { sections?: string[] }) => {
    const inventory = await getInventory(await apiTarget(opts), id, opts.sections);
    if (opts.json) return console.log(JSON.stringify(inventory, null, 2));
    const header = [
      `device     ${inventory.deviceId}`,
      `report     epoch ${inventory.epoch}, sequence ${inventory.seq}`,
      `collected  ${timestamp(inventory.collectedAt)}`,
      `received   ${timestamp(inventory.receivedAt)}`,
      `updated    ${timestamp(inventory.updatedAt)}`,
    ];
    const sections = Object.entries(inventory.sections).map(
      ([name, content]) => `\n[${name}]\n${JSON.stringify(content, null, 2)}`,
    );
    console.log([...header, ...sections].join('\n'));
  });

  apiOptions(
    devices
      .command('changes')
      .description("list a device's inventory changes, newest first")
      .argument('<id>', 'device id', deviceIdArg)
      .option('--limit <n>', 'changes per page (1..100, default 20)', limitArg)
      .option('--cursor <cursor>', 'the next page, as printed after the previous one'),
  ).action(async (id: string, opts: ApiOptions & { limit?: number; cursor?: string }) => {
    const page = await listInventoryChanges(await apiTarget(opts), id, {
      ...(opts.limit === undefined ? {} : { limit: opts.limit }),
      ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
    });
    if (opts.json) return console.log(JSON.stringify(page, null, 2));
    if (page.changes.length === 0) return console.log(`no inventory changes for ${id}`);
    console.log(
      table(
        ['SEQ', 'KIND', 'COLLECTED', 'RECEIVED', 'AGENT', 'SECTIONS (+added -removed ~changed)'],
        page.changes.map((c) => [
          String(c.seq),
          text(c.kind),
          timestamp(c.collectedAt),
          timestamp(c.receivedAt),
          text(c.agentVersion),
          sectionCounts(c),
        ]),
      ),
    );
    if (page.nextCursor) console.log(`\nolder changes: --cursor ${page.nextCursor}`);
  });
}
