/** Heartbeat and presence reaction: a device heard from gets its pending commands dispatched. */
import type { HeartbeatReaction } from '../heartbeat/reaction.ts';
import { commandsDeps } from './handler-deps.ts';
import { releasePending } from './pending.ts';

export const pendingCommandsReaction: HeartbeatReaction & {
  onConnected(deviceId: string): Promise<number>;
} = {
  name: 'pending-commands',
  async react(_heartbeat, ctx) {
    const released = await releasePending(commandsDeps(), ctx.deviceId);
    if (released > 0) ctx.metrics.addMetric('PendingCommandsReleased', 'Count', released);
  },
  onConnected: (deviceId) => releasePending(commandsDeps(), deviceId),
};
