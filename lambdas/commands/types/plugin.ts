/**
 * How a command type plugs into the commands core. One file per type in this folder, registered by
 * one line in ./index.ts; the core (fan-out, dispatcher, results handler, API) needs nothing else.
 *
 * What the core does for every type: expands the selector into one outcome per target device
 * (state `queued`); dispatches when the target is online (or at once when `needsOnlineTarget` is
 * false), else remembers the command as pending for the device and dispatches it within seconds of
 * its reconnect, until the command expires (`expired`); publishes what `prepare` returns to
 * cmd/fleet/{recipient} and moves the outcome to `dispatched`; times it out (`timed-out`) when no
 * terminal state is reached `timeoutSec` after dispatch; applies results; cancels.
 *
 * What a type decides:
 * - `prepare`: the device-facing commands (protocol/commands.ts) to publish for one target, and to
 *   whom. Publishing to other devices than the target is allowed: a Wake-on-LAN type picks bridges
 *   (ctx.ddb and ctx.tables give it the devices and the device index) and returns one `wake-relay`
 *   per bridge. The core records the recipients, accepts their results for this target, and refuses
 *   (dead-letters) results from anyone else. Returning `{ outcome }` ends the target at once without
 *   publishing (a wake with no bridge: `failed`, naming the subnet). Use `job.commandId` as the
 *   device command's id: agents drop a command id they have already seen, so a redelivered
 *   dispatch is harmless. A policy-refresh type returns one `policy-changed` with the target's
 *   effective version, read from ctx.ddb.
 * - `interpretResult`: how a recipient's result moves the target (@default acknowledged,
 *   succeeded, failed as reported). A wake type maps the bridge's `succeeded` ("packets sent") to
 *   `acknowledged` with the bridge's detail, since the wake is only confirmed by the target.
 * - `onTargetOnline`: called when the target connects or heartbeats while its outcome is
 *   `dispatched` or `acknowledged` (only for types that set `awaitTargetOnline`); a wake returns
 *   `succeeded`. The core registers the wait and runs it from the presence and heartbeat reactions.
 * - `timeoutSec`: how long after dispatch the outcome may stay non-terminal (a wake's is its
 *   `params.timeoutSec`; the timed-out reason can be customised with `timeoutReason`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CreateCommand, DeviceCommandState, OperatorCommandType } from '#protocol/api/commands.ts';
import type { Command, CommandResult } from '#protocol/commands.ts';
import type { JsonObject } from '#protocol/json-object.ts';

export type ParamsOf<T extends OperatorCommandType> = Extract<CreateCommand, { type: T }>['params'];

/** One target of one command, as the core hands it to the type. */
export interface CommandJob<T extends OperatorCommandType = OperatorCommandType> {
  readonly commandId: string;
  readonly deviceId: string;
  readonly params: ParamsOf<T>;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface PrepareContext {
  readonly ddb: DynamoDBDocumentClient;
  /** Table names a type may read (the dispatcher's wiring grants read on these). */
  readonly tables: {
    readonly devices: string;
    readonly deviceIndex: string;
    /** The commands table, to read the command's other targets (a wake groups them per subnet). */
    readonly commands: string;
  };
  readonly now: number;
  /** Offline grace: a device heard from within it counts as online. */
  readonly graceMs: number;
}

export interface Outcome {
  readonly state: DeviceCommandState;
  readonly reason?: string;
  readonly detail?: JsonObject;
}

export type Prepared =
  | {
      /**
       * Without `command`, the recipient is recorded for this target but nothing is published: the
       * target joins a command already sent to it (a wake relay naming several targets).
       */
      readonly publish: ReadonlyArray<{ readonly deviceId: string; readonly command?: Command }>;
    }
  | { readonly outcome: Outcome };

export interface CommandTypePlugin<T extends OperatorCommandType = OperatorCommandType> {
  readonly type: T;
  timeoutSec(params: ParamsOf<T>): number;
  /** The state a timed-out outcome ends in (a wake that is not confirmed has `failed`). @default 'timed-out' */
  readonly timeoutState?: 'timed-out' | 'failed';
  /** @default `no result within <timeoutSec> s` */
  timeoutReason?(params: ParamsOf<T>): string;
  /** Whether dispatch waits for the target to be online. @default true */
  readonly needsOnlineTarget?: boolean;
  /** Whether the outcome waits for the target to connect after dispatch (see onTargetOnline). @default false */
  readonly awaitTargetOnline?: boolean;
  prepare(ctx: PrepareContext, job: CommandJob<T>): Promise<Prepared> | Prepared;
  interpretResult?(
    result: CommandResult,
    from: { readonly recipient: string; readonly target: string },
  ): Outcome | undefined;
  onTargetOnline?(job: CommandJob<T>): Outcome | undefined;
}

/** The default result mapping: the device's status is the outcome's state. */
export function resultAsOutcome(result: CommandResult): Outcome {
  return {
    state: result.status,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(result.detail === undefined ? {} : { detail: result.detail }),
  };
}
