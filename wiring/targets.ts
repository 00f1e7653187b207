/**
 * Targets: operator labels on devices (group, site, tags) and the index that lets a selector or a
 * Wake-on-LAN bridge search find devices by label or by IPv4 address without scanning the fleet.
 */

import { offlineGraceSetting } from './devices.ts';
import type { Feature } from './feature.ts';
import type { Access, Contribution } from './functions.ts';

/** What a function needs to expand selectors and find bridges (lambdas/targets/). */
export const targetsReadAccess = {
  tables: { devices: 'read', deviceIndex: 'read' },
} as const satisfies Access;

/**
 * What the reports handler needs to run the network index reaction (lambdas/targets/network-reaction.ts):
 * read the stored network section, write the address items and the per-device projection.
 */
export const networkIndexReaction = {
  name: 'network-index',
  access: { tables: { inventory: 'read', deviceIndex: 'readWrite' } },
} as const satisfies Contribution;

export const targets = {
  name: 'targets',
  tables: {
    /**
     * Membership items: `pk` a label (`group#lab`, `site#paris`, `tag#kiosk`) or an address block
     * (`ip4#10`), `sk` ordered within it (the device id, or the zero-padded address then the device id),
     * and one projection per device (`net#<deviceId>`) of its interfaces as last indexed.
     * Derived from the device record and the inventory; the record stays the truth and readers check it.
     */
    deviceIndex: {
      partitionKey: 'pk',
      sortKey: 'sk',
      envVar: 'DEVICE_INDEX_TABLE',
      localName: 'fleetpulse-device-index',
    },
  },
  functions: {
    /** Its own function: the device API stays read-only (least privilege follows the feature). */
    deviceLabelsApi: {
      entry: 'lambdas/device-labels-api.ts',
      description: 'Operator API: set device labels (group, site, tags) and keep the label index',
      memoryMb: 256,
      timeoutSec: 15,
      trigger: { kind: 'api', routes: ['PATCH /devices/{id}'] },
      access: { tables: { devices: 'readWrite', deviceIndex: 'readWrite' } },
      settings: [offlineGraceSetting],
    },
  },
} as const satisfies Feature;
