/** How commands read in a terminal: selectors, totals per state, table rows and the final summary. */
import {
  type CommandView,
  DEVICE_COMMAND_STATES,
  type DeviceCommandState,
  type DeviceOutcome,
  TERMINAL_STATES,
} from '#protocol/api/commands.ts';
import type { Selector } from '#protocol/api/selector.ts';
import { ago } from './format.ts';

/** `devices a, b`, `group=lab status=online`, `all devices`. */
export function selectorText(selector: Selector): string {
  const parts: string[] = [];
  if (selector.deviceIds) {
    const ids = selector.deviceIds;
    parts.push(
      `device${ids.length === 1 ? '' : 's'} ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ` (+${ids.length - 3})` : ''}`,
    );
  }
  for (const key of ['group', 'site', 'subnet', 'tag', 'status'] as const) {
    if (selector[key] !== undefined) parts.push(`${key}=${selector[key]}`);
  }
  if (selector.all) parts.push('all devices');
  return parts.join(' ');
}

const count = (view: CommandView, state: DeviceCommandState): number => view.totals[state] ?? 0;

/** Devices in a terminal state. */
export const doneCount = (view: CommandView): number =>
  DEVICE_COMMAND_STATES.filter((s) => TERMINAL_STATES.has(s)).reduce((n, s) => n + count(view, s), 0);

/** `queued 2 · dispatched 1 · succeeded 5`: every state with devices in it, in lifecycle order. */
export function totalsText(view: CommandView): string {
  const parts = DEVICE_COMMAND_STATES.filter((s) => count(view, s) > 0).map((s) => `${s} ${count(view, s)}`);
  return parts.length > 0 ? parts.join(' · ') : 'no devices yet';
}

/** The progress line while waiting: one line, no clock in it, so it changes only when the command does. */
export function progressText(view: CommandView): string {
  return `${view.commandId} ${view.type} ${view.status}: ${doneCount(view)}/${view.targeted} done · ${totalsText(view)}`;
}

/** The command will not change any more. */
export const isFinished = (view: CommandView): boolean =>
  view.status === 'completed' || view.status === 'canceled' || view.status === 'aborted';

/** Every targeted device succeeded (a command that targeted none did not succeed at anything). */
export const allSucceeded = (view: CommandView): boolean =>
  view.status === 'completed' && view.targeted > 0 && count(view, 'succeeded') === view.targeted;

export const COMMAND_COLUMNS = [
  'COMMAND',
  'TYPE',
  'STATUS',
  'TARGET',
  'DEVICES',
  'DONE',
  'SUCCEEDED',
  'CREATED',
];

export function commandRow(view: CommandView, now = Date.now()): string[] {
  return [
    view.commandId,
    view.type,
    view.status,
    selectorText(view.target),
    String(view.targeted),
    String(doneCount(view)),
    String(count(view, 'succeeded')),
    ago(view.createdAt, now),
  ];
}

export const OUTCOME_COLUMNS = ['DEVICE', 'STATE', 'UPDATED', 'REASON'];

export function outcomeRow(outcome: DeviceOutcome, now = Date.now()): string[] {
  return [outcome.deviceId, outcome.state, ago(outcome.updatedAt, now), outcome.reason ?? ''];
}

/** The lines `commands show` prints above the device table. */
export function commandDetails(view: CommandView, now = Date.now()): string[] {
  return [
    `command:  ${view.commandId}`,
    `type:     ${view.type}${Object.keys(view.params).length > 0 ? ` ${JSON.stringify(view.params)}` : ''}`,
    `target:   ${selectorText(view.target)}`,
    `status:   ${view.status}${view.reason ? ` (${view.reason})` : ''}`,
    `created:  ${new Date(view.createdAt).toISOString()} (${ago(view.createdAt, now)})`,
    `expires:  ${new Date(view.expiresAt).toISOString()}`,
    ...(view.rollout
      ? [
          `rollout:  ${view.rollout.maxPerMinute}/min${view.rollout.abort ? `, abort above ${view.rollout.abort.failedPercent}% failed of the first ${view.rollout.abort.afterDevices}` : ''}`,
        ]
      : []),
    `devices:  ${view.targeted} targeted, ${doneCount(view)} done · ${totalsText(view)}`,
  ];
}

/**
 * What `commands wait` says at the end when not every device succeeded: the totals, then the
 * devices that did not succeed with their reasons (a few), and where to see the rest.
 */
export function failureSummary(
  view: CommandView,
  problems: readonly DeviceOutcome[],
  timedOut: boolean,
): string {
  const succeeded = count(view, 'succeeded');
  const head = timedOut
    ? `${view.commandId} is still ${view.status} after the wait timed out: ${doneCount(view)} of ${view.targeted} done`
    : view.targeted === 0
      ? `${view.commandId} ${view.status}: it targeted no device (check the selector)`
      : `${view.commandId} ${view.status}: ${succeeded} of ${view.targeted} succeeded`;
  const lines = [`${head}${view.reason ? ` (${view.reason})` : ''} · ${totalsText(view)}`];
  for (const p of problems) lines.push(`  ${p.deviceId}: ${p.state}${p.reason ? ` — ${p.reason}` : ''}`);
  const shown = problems.length;
  const notSucceeded = view.targeted - succeeded;
  if (notSucceeded > shown) lines.push(`  … see all: fleetpulse commands show ${view.commandId} --devices`);
  return lines.join('\n');
}
