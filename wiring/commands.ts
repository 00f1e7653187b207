/**
 * Commands: an operator's command (POST /commands) is fanned out over SQS into one outcome per
 * targeted device, dispatched to each device over MQTT, and driven to a terminal state by the
 * device's results, deadlines and reconnects. See docs/commands.md.
 */
import { offlineGraceSetting } from './devices.ts';
import type { Feature } from './feature.ts';
import type { Contribution } from './functions.ts';
import { topicRule } from './ingest.ts';
import { targetsReadAccess } from './targets.ts';

/** Index of a device's outcomes, newest command first (GET /devices/{id}/commands). */
export const COMMANDS_BY_DEVICE = 'byDevice';
/** Index of command meta items, newest first (GET /commands). */
export const COMMANDS_BY_CREATED = 'byCreated';

/**
 * What a presence or heartbeat reaction needs to hand a reconnected device its pending commands:
 * read the device's pending items and queue them for the dispatcher.
 */
export const pendingCommandsReaction = {
  name: 'pending-commands',
  access: { tables: { commands: 'read' }, queues: { commandDispatch: 'send' } },
} as const satisfies Contribution;

export const commands = {
  name: 'commands',
  tables: {
    /**
     * Per command (`pk` the command id): a `meta` item and one `dev#<deviceId>` outcome item per
     * targeted device (plus `relay#<recipient>#<target>` items when a type sends to another device
     * than the target). Per device: `pending#<deviceId>` items, one per command waiting for it to
     * connect. Per client token: a `token#<token>` item naming the command it created.
     */
    commands: {
      partitionKey: 'pk',
      sortKey: 'sk',
      ttlAttribute: 'purgeAt',
      envVar: 'COMMANDS_TABLE',
      localName: 'fleetpulse-commands',
      indexes: {
        // Only outcome items carry `deviceId` and `createdAt` together.
        [COMMANDS_BY_DEVICE]: { partitionKey: 'deviceId', numberSortKey: 'createdAt' },
        // Only meta items carry `listKey`.
        [COMMANDS_BY_CREATED]: { partitionKey: 'listKey', numberSortKey: 'createdAt' },
      },
    },
  },
  queues: {
    /** Fan-out work: one message expands one page of a command's selector (or cancels one page). */
    commandFanout: {
      envVar: 'COMMAND_FANOUT_QUEUE_URL',
      localName: 'fleetpulse-command-fanout',
      visibilityTimeoutSec: 60,
      retentionDays: 4,
      deadLetter: { queue: 'commandFanoutDeadLetter', maxReceiveCount: 5 },
    },
    commandFanoutDeadLetter: {
      envVar: 'COMMAND_FANOUT_DLQ_URL',
      localName: 'fleetpulse-command-fanout-dlq',
      visibilityTimeoutSec: 30,
      retentionDays: 14,
      operatorName: 'command-fanout',
    },
    /** One message per device and step: dispatch, a deadline, or a reconnect. */
    commandDispatch: {
      envVar: 'COMMAND_DISPATCH_QUEUE_URL',
      localName: 'fleetpulse-command-dispatch',
      visibilityTimeoutSec: 30,
      retentionDays: 4,
      deadLetter: { queue: 'commandDispatchDeadLetter', maxReceiveCount: 5 },
    },
    commandDispatchDeadLetter: {
      envVar: 'COMMAND_DISPATCH_DLQ_URL',
      localName: 'fleetpulse-command-dispatch-dlq',
      visibilityTimeoutSec: 30,
      retentionDays: 14,
      operatorName: 'command-dispatch',
    },
  },
  functions: {
    commandsApi: {
      entry: 'lambdas/commands-api.ts',
      description: 'Operator API: create and cancel commands',
      memoryMb: 512,
      timeoutSec: 15,
      trigger: { kind: 'api', routes: ['POST /commands', 'POST /commands/{id}/cancel'] },
      // Devices are read to refuse unknown ids; the fan-out queue starts (and cancels) the work.
      access: {
        tables: { commands: 'readWrite', devices: 'read' },
        queues: { commandFanout: 'send' },
      },
    },
    /** Reads only, in a function of its own: its role never gains the write routes' rights. */
    commandsReadApi: {
      entry: 'lambdas/commands-read-api.ts',
      description: "Operator API: list and show commands, a device's commands (read-only)",
      memoryMb: 512,
      timeoutSec: 15,
      trigger: { kind: 'api', routes: ['GET /commands', 'GET /commands/{id}', 'GET /devices/{id}/commands'] },
      access: { tables: { commands: 'read' } },
    },
    commandFanout: {
      entry: 'lambdas/command-fanout.ts',
      description: 'Expands a command selector page by page into per-device outcomes and dispatch messages',
      memoryMb: 512,
      timeoutSec: 60,
      trigger: {
        kind: 'queue',
        queue: 'commandFanout',
        batchSize: 1,
        maxBatchingWindowSec: 0,
        maxConcurrency: 2,
      },
      access: {
        tables: { commands: 'readWrite', ...targetsReadAccess.tables },
        // Consume comes with the trigger; send continues the fan-out with its next page.
        queues: { commandFanout: 'send', commandDispatch: 'send', commandFanoutDeadLetter: 'send' },
      },
      settings: [offlineGraceSetting],
    },
    commandDispatcher: {
      entry: 'lambdas/command-dispatcher.ts',
      description: 'Delivers commands to devices, holds them for offline devices, enforces deadlines',
      memoryMb: 256,
      timeoutSec: 30,
      trigger: {
        kind: 'queue',
        queue: 'commandDispatch',
        batchSize: 10,
        maxBatchingWindowSec: 0,
        maxConcurrency: 4,
      },
      access: {
        // Targets read access: a wake looks up its target's network and the bridges (lambdas/targets/).
        // policies: the policy-refresh type reads the target's effective policy, and re-stamps it
        // for a device that runs a higher number (see lambdas/commands/types/policy-refresh.ts).
        tables: { commands: 'readWrite', ...targetsReadAccess.tables, policies: 'readWrite' },
        // Consume comes with the trigger; send schedules deadlines as delayed messages.
        queues: { commandDispatch: 'send', commandDispatchDeadLetter: 'send', commandFanout: 'send' },
        iotPublish: true,
      },
      settings: [offlineGraceSetting],
    },
    commandResults: {
      entry: 'lambdas/command-results.ts',
      description: 'Applies command results devices report to their outcomes',
      memoryMb: 256,
      timeoutSec: 10,
      trigger: topicRule('commandResult'),
      access: {
        tables: { commands: 'readWrite' },
        queues: { ingestDeadLetter: 'send', commandFanout: 'send' },
      },
    },
  },
} as const satisfies Feature;
