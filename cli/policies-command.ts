/**
 * `fleetpulse policies put|assign|show|list`: store a policy version from a JSON file (or stdin),
 * assign it to devices, groups or as the default, and see who runs which version.
 */
import { readFile } from 'node:fs/promises';
import { text as readStream } from 'node:stream/consumers';
import { Command, InvalidArgumentError } from 'commander';
import type { AssignResult, PolicyList, StoredPolicy } from '#lambdas/api/policies.ts';
import { LABEL_VALUE_PATTERN } from '#protocol/api/labels.ts';
import { POLICY_ID_PATTERN, type PolicyView } from '#protocol/api/policies.ts';
import type { PolicyDocument } from '#protocol/policy.ts';
import { type ApiTarget, requestJson } from './api-client.ts';
import { type ApiOptions, apiOptions, apiTarget } from './api-options.ts';
import { ago, table, timestamp } from './format.ts';

const policyIdArg = (value: string): string => {
  if (!POLICY_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError('must be 1-63 characters of a-z 0-9 - and start with a letter or digit');
  }
  return value;
};

const groupArg = (value: string, previous: string[] = []): string[] => {
  if (!LABEL_VALUE_PATTERN.test(value)) {
    throw new InvalidArgumentError('a group must be 1-64 characters of A-Z a-z 0-9 . _ -');
  }
  return [...previous, value];
};

const policyPath = (policyId: string): string => `policies/${encodeURIComponent(policyId)}`;

/** The document to store: a JSON file, or stdin for `-`. */
async function readDocument(file: string): Promise<unknown> {
  const source = file === '-' ? 'stdin' : file;
  const raw = file === '-' ? await readStream(process.stdin) : await readFile(file, 'utf8');
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new Error(`${source} is not valid JSON: ${(err as Error).message}`);
  }
}

/** One line per setting a person tunes. */
function settingsOf(document: PolicyDocument): string {
  const analyzer = document.analyzer.enabled
    ? `analyzer every ${document.analyzer.sampleIntervalSec}s, upload ${document.analyzer.uploadIntervalSec}s`
    : 'analyzer off';
  const proxies = document.proxies.length === 0 ? 'no proxy' : `${document.proxies.length} proxies`;
  return `heartbeat ${document.heartbeatIntervalSec}s, inventory ${document.inventoryIntervalSec}s, ${analyzer}, ${proxies}`;
}

function assignedText(assigned: PolicyView['assignedTo']): string {
  const parts = [
    ...(assigned.deviceIds.length > 0 ? [`devices ${assigned.deviceIds.join(', ')}`] : []),
    ...(assigned.groups.length > 0 ? [`groups ${assigned.groups.join(', ')}`] : []),
    ...(assigned.default ? ['the default'] : []),
  ];
  return parts.length === 0 ? 'nobody' : parts.join('; ');
}

function showText(view: PolicyView): string {
  const header = [
    `policy     ${view.policyId}`,
    `latest     version ${view.latestVersion}`,
    `assigned   ${assignedText(view.assignedTo)}`,
    `devices    ${view.devicesAssigned} assigned`,
  ];
  const rows = view.versions.map((v) => [
    String(v.version),
    timestamp(v.createdAt),
    String(v.devicesRunning),
    settingsOf(v.document),
  ]);
  return [...header, '', table(['VERSION', 'CREATED', 'RUNNING', 'SETTINGS'], rows)].join('\n');
}

interface AssignOptions extends ApiOptions {
  readonly device?: string[];
  readonly group?: string[];
  readonly default?: boolean;
}

export function policiesCommand(deviceIdArg: (value: string) => string): Command {
  const policies = new Command('policies').description(
    'policies pushed to devices: store versions, assign them, see who runs which version',
  );
  const withTarget = async <T>(opts: ApiOptions, call: (target: ApiTarget) => Promise<unknown>) =>
    (await call(await apiTarget(opts))) as T;

  apiOptions(
    policies
      .command('put')
      .description('store a new version of a policy from a JSON document (the cloud numbers it)')
      .argument('<id>', 'policy id (a-z 0-9 -)', policyIdArg)
      .requiredOption('--file <path>', 'the policy document as JSON; - reads stdin'),
  ).action(async (id: string, opts: ApiOptions & { file: string }) => {
    const document = await readDocument(opts.file);
    const stored = await withTarget<StoredPolicy>(opts, (target) =>
      requestJson(target, policyPath(id), { method: 'PUT', body: document }),
    );
    if (opts.json) return console.log(JSON.stringify(stored, null, 2));
    console.log(`stored policy ${stored.policyId} version ${stored.version}: ${settingsOf(stored.document)}`);
    console.log(`assign it with: fleetpulse policies assign ${stored.policyId} --group <group>`);
  });

  apiOptions(
    policies
      .command('assign')
      .description(
        "assign a policy: a device's own assignment wins over its group's, which wins over the default",
      )
      .argument('<id>', 'policy id', policyIdArg)
      .option('--device <ids...>', 'device ids', (value: string, previous: string[] = []) => [
        ...previous,
        deviceIdArg(value),
      ])
      .option('--group <groups...>', 'groups (the device label `group`)', groupArg)
      .option('--default', 'make it the fleet default'),
  ).action(async (id: string, opts: AssignOptions) => {
    if (!opts.device && !opts.group && !opts.default) {
      throw new Error('nothing to assign to: give --device, --group or --default');
    }
    const body = {
      ...(opts.device ? { deviceIds: opts.device } : {}),
      ...(opts.group ? { groups: opts.group } : {}),
      ...(opts.default ? { default: true } : {}),
    };
    const result = await withTarget<AssignResult>(opts, (target) =>
      requestJson(target, `${policyPath(id)}/assign`, { method: 'POST', body }),
    );
    if (opts.json) return console.log(JSON.stringify(result, null, 2));
    console.log(
      `policy ${result.policyId} version ${result.version} assigned to ${assignedText(result.assigned)}`,
    );
    if (result.restampedFrom !== undefined) {
      console.log(
        `(version ${result.restampedFrom}'s document stored again as ${result.version}: another policy had a higher version, and devices never go back)`,
      );
    }
    console.log(
      `devices take it at their next heartbeat; follow with: fleetpulse policies show ${result.policyId}`,
    );
  });

  apiOptions(
    policies
      .command('show')
      .description('show a policy: assignments, and per version how many assigned devices run it')
      .argument('<id>', 'policy id', policyIdArg),
  ).action(async (id: string, opts: ApiOptions) => {
    const view = await withTarget<PolicyView>(opts, (target) => requestJson(target, policyPath(id)));
    console.log(opts.json ? JSON.stringify(view, null, 2) : showText(view));
  });

  apiOptions(
    policies.command('list').description('list policies with their latest version and assignments'),
  ).action(async (opts: ApiOptions) => {
    const list = await withTarget<PolicyList>(opts, (target) => requestJson(target, 'policies'));
    if (opts.json) return console.log(JSON.stringify(list.items, null, 2));
    if (list.items.length === 0) return console.log('no policies (store one with `fleetpulse policies put`)');
    console.log(
      table(
        ['POLICY', 'LATEST', 'UPDATED', 'DEVICES', 'ON LATEST', 'ASSIGNED TO'],
        list.items.map((p) => [
          p.policyId,
          String(p.latestVersion),
          ago(p.updatedAt),
          String(p.devicesAssigned),
          String(p.devicesOnLatest),
          assignedText(p.assignedTo),
        ]),
      ),
    );
  });

  return policies;
}
