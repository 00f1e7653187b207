/**
 * `inventory-resync`: the agent's `resync` command; the agent answers `succeeded` once its full
 * report is queued for sending (the report itself then takes the inventory path).
 */
import type { CommandTypePlugin } from './plugin.ts';

export const inventoryResyncType: CommandTypePlugin<'inventory-resync'> = {
  type: 'inventory-resync',
  // Collection on a real machine takes up to the collectors' 30 s bound, plus the queueing.
  timeoutSec: () => 120,
  prepare: (ctx, job) => ({
    publish: [
      {
        deviceId: job.deviceId,
        command: {
          type: 'resync',
          commandId: job.commandId,
          issuedAt: ctx.now,
          expiresAt: job.expiresAt,
          reason: 'operator request',
          // The operator wants a full report now, whatever the cloud holds.
          storedSeq: null,
        },
      },
    ],
  }),
};
