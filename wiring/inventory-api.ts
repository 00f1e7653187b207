/** The read-only inventory API: a device's current inventory and its change history. No write, no publish. */
import type { Feature } from './feature.ts';
import { inventorySettings } from './inventory.ts';

export const inventoryApi = {
  name: 'inventory-api',
  functions: {
    inventoryApi: {
      entry: 'lambdas/inventory-api.ts',
      description: 'Operator API: inventory and change history (read-only)',
      memoryMb: 512,
      timeoutSec: 15,
      trigger: {
        kind: 'api',
        routes: ['GET /devices/{id}/inventory', 'GET /devices/{id}/inventory/changes'],
      },
      access: { tables: { inventory: 'read' }, buckets: { archive: 'read' } },
      // Read where the inventory deps are built, shared with the ingest handlers.
      settings: Object.values(inventorySettings),
    },
  },
} as const satisfies Feature;
