/**
 * The operator's commands, as the API takes and shows them. One command targets a selector; the
 * fan-out gives every targeted device its own outcome, with the lifecycle below (aligned with AWS IoT
 * Jobs executions). The device-facing messages are in ../commands.ts.
 */
import * as z from 'zod';
import { DeviceIdSchema, EpochMsSchema } from '../ids.ts';
import { JsonObjectSchema } from '../inventory.ts';
import { SelectorSchema } from './selector.ts';

/** Operator command ids: time-sortable, e.g. `cmd-01jdx3…`. */
export const COMMAND_ID_PATTERN = /^cmd-[0-9a-z]{10,40}$/;
export const CommandIdSchema = z
  .string()
  .regex(COMMAND_ID_PATTERN, 'command id must look like cmd-<letters/digits>');

export const MAC_PATTERN = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;
/** A MAC address, lower case, colon separated. */
export const MacSchema = z
  .string()
  .transform((mac) => mac.toLowerCase().replaceAll('-', ':'))
  .pipe(z.string().regex(MAC_PATTERN, 'MAC must be six hex bytes such as 3c:52:82:0a:1b:2c'));

/** Per-device lifecycle. Only forward: queued → dispatched → acknowledged → one terminal state. */
export const DEVICE_COMMAND_STATES = [
  'queued',
  'dispatched',
  'acknowledged',
  'succeeded',
  'failed',
  'timed-out',
  'canceled',
  'expired',
] as const;
export const DeviceCommandStateSchema = z.enum(DEVICE_COMMAND_STATES);
export type DeviceCommandState = z.infer<typeof DeviceCommandStateSchema>;
export const TERMINAL_STATES: ReadonlySet<DeviceCommandState> = new Set([
  'succeeded',
  'failed',
  'timed-out',
  'canceled',
  'expired',
]);
/** A transition is allowed only to a strictly higher rank (terminal states share the top rank). */
export function stateRank(state: DeviceCommandState): number {
  return state === 'queued' ? 0 : state === 'dispatched' ? 1 : state === 'acknowledged' ? 2 : 3;
}

const WakeParamsSchema = z
  .object({
    /** SecureOn password (6 bytes, as a MAC is written), for NICs that require one. */
    secureOn: MacSchema.optional(),
    /** The target's MAC; only for a single-device target. @default - from the target's inventory */
    mac: MacSchema.optional(),
    /** How long to wait for the target to connect before `failed: not confirmed`. */
    timeoutSec: z.number().int().min(30).max(3600).default(300),
  })
  .strict();
const NoParamsSchema = z.object({}).strict();

const RolloutSchema = z
  .object({
    /** At most this many devices dispatched per minute. */
    maxPerMinute: z.number().int().min(1).max(100_000),
    /** Cancel the rest when more than `failedPercent` % of the first `afterDevices` devices fail. */
    abort: z
      .object({
        failedPercent: z.number().min(0).max(100),
        afterDevices: z.number().int().min(1).max(100_000),
      })
      .strict()
      .optional(),
  })
  .strict();

const CreateBase = {
  target: SelectorSchema,
  /** Seconds until devices that have not received it yet get `expired` (offline devices wait until then). */
  expiresInSec: z
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(3600),
  /** Same token (per operator API) → the same command, not a second one. */
  clientToken: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/)
    .optional(),
  rollout: RolloutSchema.optional(),
};

export const CreateCommandSchema = z.discriminatedUnion('type', [
  z
    .object({ ...CreateBase, type: z.literal('wake'), params: WakeParamsSchema.default({ timeoutSec: 300 }) })
    .strict(),
  z.object({ ...CreateBase, type: z.literal('policy-refresh'), params: NoParamsSchema.default({}) }).strict(),
  z
    .object({ ...CreateBase, type: z.literal('inventory-resync'), params: NoParamsSchema.default({}) })
    .strict(),
  z.object({ ...CreateBase, type: z.literal('ping'), params: NoParamsSchema.default({}) }).strict(),
]);
export type CreateCommand = z.infer<typeof CreateCommandSchema>;
export type OperatorCommandType = CreateCommand['type'];
export const OPERATOR_COMMAND_TYPES = CreateCommandSchema.options.map((o) => o.shape.type.value);

export const CommandStatusSchema = z.enum([
  /** The fan-out is still expanding the selector. */
  'fanning-out',
  /** Every device is queued; some are not in a terminal state yet. */
  'in-progress',
  /** Every targeted device reached a terminal state. */
  'completed',
  'canceled',
  /** The abort threshold was crossed: the rest were canceled. */
  'aborted',
]);
export type CommandStatus = z.infer<typeof CommandStatusSchema>;

export const TransitionSchema = z.object({
  state: DeviceCommandStateSchema,
  at: EpochMsSchema,
  reason: z.string().max(1024).optional(),
});

export const CommandViewSchema = z.object({
  commandId: CommandIdSchema,
  type: z.enum(OPERATOR_COMMAND_TYPES as [OperatorCommandType, ...OperatorCommandType[]]),
  target: SelectorSchema,
  params: JsonObjectSchema,
  status: CommandStatusSchema,
  createdAt: EpochMsSchema,
  expiresAt: EpochMsSchema,
  clientToken: z.string().optional(),
  rollout: RolloutSchema.optional(),
  /** Devices the fan-out has queued so far (all of them once status is past fanning-out). */
  targeted: z.number().int().nonnegative(),
  /** Devices per state. */
  totals: z.record(DeviceCommandStateSchema, z.number().int().nonnegative()),
  reason: z.string().max(1024).optional(),
});
export type CommandView = z.infer<typeof CommandViewSchema>;

export const DeviceOutcomeSchema = z.object({
  deviceId: DeviceIdSchema,
  state: DeviceCommandStateSchema,
  updatedAt: EpochMsSchema,
  reason: z.string().max(1024).optional(),
  /** Every transition, oldest first. */
  history: z.array(TransitionSchema),
  /** What the device (or the bridge, for a wake) reported. */
  detail: JsonObjectSchema.optional(),
});
export type DeviceOutcome = z.infer<typeof DeviceOutcomeSchema>;

/** `GET /commands/{id}`: the command with its totals and one page of per-device outcomes. */
export const CommandDetailSchema = z.object({
  command: CommandViewSchema,
  devices: z.object({ items: z.array(DeviceOutcomeSchema), nextCursor: z.string().nullable() }),
});
export type CommandDetail = z.infer<typeof CommandDetailSchema>;

/** `GET /devices/{id}/commands`: the device's commands, recent first. */
export const DeviceCommandRowSchema = z.object({
  commandId: CommandIdSchema,
  type: CommandViewSchema.shape.type,
  createdAt: EpochMsSchema,
  state: DeviceCommandStateSchema,
  updatedAt: EpochMsSchema,
  reason: z.string().max(1024).optional(),
});
export type DeviceCommandRow = z.infer<typeof DeviceCommandRowSchema>;
