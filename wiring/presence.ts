/** $aws/events/presence/... → the device record's online/offline state. */
import type { Feature } from './feature.ts';
import { topicRule } from './ingest.ts';

export const presence = {
  name: 'presence',
  functions: {
    presence: {
      entry: 'lambdas/presence.ts',
      description: 'Tracks connect/disconnect lifecycle events',
      memoryMb: 256,
      timeoutSec: 10,
      trigger: topicRule('presence'),
      access: { tables: { devices: 'readWrite' }, queues: { ingestDeadLetter: 'send' } },
    },
  },
} as const satisfies Feature;
