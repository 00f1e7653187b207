/**
 * `fleetpulse devices label <id...>`: set operator labels (group, site, tags) that command selectors
 * target, and how `devices list/get` show them.
 */
import { type Command, InvalidArgumentError } from 'commander';
import {
  LABEL_VALUE_PATTERN,
  type PatchDeviceLabels,
  PatchDeviceLabelsSchema,
} from '#protocol/api/labels.ts';
import { formatZodIssues } from '#protocol/zod-issues.ts';
import { type DeviceView, patchDeviceLabels } from './api-client.ts';
import { type ApiOptions, apiOptions, apiTarget } from './api-options.ts';
import { table } from './format.ts';

const labelArg = (value: string): string => {
  if (!LABEL_VALUE_PATTERN.test(value)) {
    throw new InvalidArgumentError(
      'a label is 1-64 characters of A-Z a-z 0-9 . _ - and starts with a letter or digit',
    );
  }
  return value;
};

/** `group=lab site=paris tags=a,b`, or `-` for a device with none. */
export function labelsText(device: DeviceView): string {
  const labels = (device.labels ?? {}) as { group?: string; site?: string; tags?: string[] };
  const parts = [
    ...(labels.group === undefined ? [] : [`group=${labels.group}`]),
    ...(labels.site === undefined ? [] : [`site=${labels.site}`]),
    ...(labels.tags && labels.tags.length > 0 ? [`tags=${labels.tags.join(',')}`] : []),
  ];
  return parts.length > 0 ? parts.join(' ') : '-';
}

interface LabelOptions extends ApiOptions {
  readonly group?: string;
  readonly site?: string;
  readonly tag: string[];
  readonly clearGroup?: boolean;
  readonly clearSite?: boolean;
  readonly clearTags?: boolean;
}

/** The options as a PATCH body; contradictory or empty options are a usage error. */
export function labelPatch(opts: LabelOptions): PatchDeviceLabels {
  const both = (set: boolean, clear: boolean | undefined, name: string) => {
    if (set && clear) throw new InvalidArgumentError(`--${name} and --clear-${name} contradict each other`);
  };
  both(opts.group !== undefined, opts.clearGroup, 'group');
  both(opts.site !== undefined, opts.clearSite, 'site');
  both(opts.tag.length > 0, opts.clearTags, 'tags');
  const patch = {
    ...(opts.group !== undefined ? { group: opts.group } : opts.clearGroup ? { group: null } : {}),
    ...(opts.site !== undefined ? { site: opts.site } : opts.clearSite ? { site: null } : {}),
    ...(opts.tag.length > 0 ? { tags: opts.tag } : opts.clearTags ? { tags: null } : {}),
  };
  const parsed = PatchDeviceLabelsSchema.safeParse(patch);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `${formatZodIssues(parsed.error)} (use --group, --site, --tag, --clear-group, --clear-site or --clear-tags)`,
    );
  }
  return parsed.data;
}

export function addLabelCommands(devices: Command, deviceIdArg: (value: string) => string): void {
  apiOptions(
    devices
      .command('label')
      .description(
        'set operator labels on devices (a value replaces, --clear-* removes; --tag replaces the tag set)',
      )
      .argument('<id...>', 'device ids', (value: string, previous: string[] = []) => [
        ...previous,
        deviceIdArg(value),
      ])
      .option('--group <group>', 'the group', labelArg)
      .option('--site <site>', 'the site', labelArg)
      .option(
        '--tag <tag>',
        'a tag (repeat for several); the device gets exactly these tags',
        (value: string, previous: string[]) => [...previous, labelArg(value)],
        [],
      )
      .option('--clear-group', 'remove the group')
      .option('--clear-site', 'remove the site')
      .option('--clear-tags', 'remove every tag'),
  ).action(async (ids: string[], opts: LabelOptions) => {
    const patch = labelPatch(opts);
    const target = await apiTarget(opts);
    const updated: DeviceView[] = [];
    const failed: string[] = [];
    for (const id of ids) {
      try {
        updated.push(await patchDeviceLabels(target, id, patch));
      } catch (err) {
        failed.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (opts.json) console.log(JSON.stringify(updated, null, 2));
    else if (updated.length > 0)
      console.log(
        table(
          ['DEVICE', 'LABELS'],
          updated.map((d) => [d.deviceId, labelsText(d)]),
        ),
      );
    if (failed.length > 0) {
      throw new Error(`${failed.length} of ${ids.length} not labelled:\n  ${failed.join('\n  ')}`);
    }
  });
}
