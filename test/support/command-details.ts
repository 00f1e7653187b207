/** Canned commands-API answers, each checked against the contract (protocol/api/commands.ts) as built. */
import {
  type CommandDetail,
  CommandDetailSchema,
  type CommandStatus,
  type CommandView,
  CommandViewSchema,
  DEVICE_COMMAND_STATES,
  type DeviceCommandState,
  type DeviceOutcome,
} from '#protocol/api/commands.ts';

export const COMMAND_ID = 'cmd-01jdx3abcdef';
const AT = Date.UTC(2026, 10, 30, 1, 0);

/** A view with these devices per state (targeted = their sum). */
export function commandView(
  totals: Partial<Record<DeviceCommandState, number>>,
  status: CommandStatus,
  over: Partial<CommandView> = {},
): CommandView {
  const targeted = Object.values(totals).reduce((n, c) => n + (c ?? 0), 0);
  return CommandViewSchema.parse({
    commandId: COMMAND_ID,
    type: 'ping',
    target: { group: 'lab' },
    params: {},
    status,
    createdAt: AT,
    expiresAt: AT + 3_600_000,
    targeted,
    // The contract's totals name every state (zero included).
    totals: Object.fromEntries(DEVICE_COMMAND_STATES.map((s) => [s, totals[s] ?? 0])),
    ...over,
  });
}

export function outcome(deviceId: string, state: DeviceCommandState, reason?: string): DeviceOutcome {
  return {
    deviceId,
    state,
    updatedAt: AT + 5000,
    ...(reason ? { reason } : {}),
    history: [{ state, at: AT + 5000, ...(reason ? { reason } : {}) }],
  };
}

export function commandDetail(
  view: CommandView,
  items: DeviceOutcome[] = [],
  nextCursor: string | null = null,
): CommandDetail {
  return CommandDetailSchema.parse({ command: view, devices: { items, nextCursor } });
}
