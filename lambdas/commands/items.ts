/**
 * The items of the `commands` table (wiring/commands.ts) and their keys. One place builds keys, so
 * every reader and writer agrees on them.
 */
import type { CommandStatus, DeviceCommandState, OperatorCommandType } from '#protocol/api/commands.ts';
import { DEVICE_COMMAND_STATES } from '#protocol/api/commands.ts';
import type { Selector } from '#protocol/api/selector.ts';
import type { JsonObject } from '#protocol/json-object.ts';

export const META_SK = 'meta';
/** Partition of the "recent commands" index: every meta item, newest first. */
export const LIST_KEY = 'command';

export const outcomeSk = (deviceId: string): string => `dev#${deviceId}`;
export const OUTCOME_PREFIX = 'dev#';
export const pendingPk = (deviceId: string): string => `pending#${deviceId}`;
export const tokenPk = (clientToken: string): string => `token#${clientToken}`;
/** A recipient that is not the target (a Wake-on-LAN bridge) answers for these targets. */
export const relaySk = (recipient: string, target: string): string => `relay#${recipient}#${target}`;
export const relayPrefix = (recipient: string): string => `relay#${recipient}#`;

export type Totals = Record<DeviceCommandState, number>;
export const zeroTotals = (): Totals =>
  Object.fromEntries(DEVICE_COMMAND_STATES.map((s) => [s, 0])) as Totals;

export interface Rollout {
  readonly maxPerMinute: number;
  readonly abort?: { readonly failedPercent: number; readonly afterDevices: number };
}

export interface MetaItem {
  pk: string;
  sk: typeof META_SK;
  listKey: typeof LIST_KEY;
  commandId: string;
  type: OperatorCommandType;
  target: Selector;
  params: JsonObject;
  status: CommandStatus;
  createdAt: number;
  expiresAt: number;
  clientToken?: string;
  rollout?: Rollout;
  /** Devices given an outcome so far. */
  targeted: number;
  /** Devices per state, kept by every transition (the detail view recounts from the outcomes). */
  totals: Totals;
  /** Next page of the selector (absent before the first and after the last). */
  fanoutCursor?: string;
  /** Pages expanded so far; the page being expanded is this number. */
  fanoutPage: number;
  fanoutDone: boolean;
  reason?: string;
  purgeAt: number;
}

export interface Transition {
  state: DeviceCommandState;
  at: number;
  reason?: string;
}

export interface OutcomeItem {
  pk: string;
  sk: string;
  commandId: string;
  deviceId: string;
  type: OperatorCommandType;
  createdAt: number;
  expiresAt: number;
  state: DeviceCommandState;
  rank: number;
  updatedAt: number;
  reason?: string;
  history: Transition[];
  /** Written before detailJson existed; read still. */
  detail?: JsonObject;
  /** The device's detail as JSON text (bounded, see store.ts boundedDetail). */
  detailJson?: string;
  /** The fan-out page that queued it (a redone page recognises its own items by it). */
  page: number;
  /** Devices the command was published to for this target (the target itself, or its bridges). */
  sentTo?: string[];
  /** A pending item exists for it (it waited for the device): removed when it leaves `queued`. */
  held?: boolean;
  purgeAt: number;
}

export interface PendingItem {
  pk: string;
  sk: string;
  commandId: string;
  /** `dispatch`: deliver on connect; `online`: the type waits for the target to connect (wake). */
  awaiting: 'dispatch' | 'online';
  expiresAt: number;
  purgeAt: number;
}

/** Items outlive their command by this long, then DynamoDB's TTL may remove them. */
export const RETENTION_MS = 30 * 86_400_000;
