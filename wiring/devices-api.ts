/** The read-only device API: list and fetch device records. No write, no publish. */
import { offlineGraceSetting } from './devices.ts';
import type { Feature } from './feature.ts';

export const devicesApi = {
  name: 'devices-api',
  functions: {
    devicesApi: {
      entry: 'lambdas/devices-api.ts',
      description: 'Operator API: devices (read-only)',
      memoryMb: 512,
      timeoutSec: 15,
      trigger: { kind: 'api', routes: ['GET /devices', 'GET /devices/{id}'] },
      access: { tables: { devices: 'read' } },
      settings: [offlineGraceSetting],
    },
  },
} as const satisfies Feature;
