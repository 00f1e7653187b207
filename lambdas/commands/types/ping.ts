/** `ping`: a round trip to the agent, which answers `succeeded` with the time it received it. */
import type { CommandTypePlugin } from './plugin.ts';

export const pingType: CommandTypePlugin<'ping'> = {
  type: 'ping',
  timeoutSec: () => 30,
  prepare: (ctx, job) => ({
    publish: [
      {
        deviceId: job.deviceId,
        command: { type: 'ping', commandId: job.commandId, issuedAt: ctx.now, expiresAt: job.expiresAt },
      },
    ],
  }),
};
