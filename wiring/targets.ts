/**
 * Targets: operator labels on devices (group, site, tags) and the index that lets a selector or a
 * Wake-on-LAN bridge search find devices by label or by IPv4 address without scanning the fleet.
 */

import type { Feature } from './feature.ts';
import type { Access } from './functions.ts';

/** What a function needs to expand selectors and find bridges (lambdas/targets/). */
export const targetsReadAccess = {
  tables: { devices: 'read', deviceIndex: 'read' },
} as const satisfies Access;

export const targets = {
  name: 'targets',
  tables: {
    /**
     * Membership items: `pk` a label (`group#lab`, `site#paris`, `tag#kiosk`) or an address block
     * (`ip4#10`), `sk` ordered within it (the device id, or the zero-padded address then the device id).
     * Derived from the device record and the inventory; the record stays the truth and readers check it.
     */
    deviceIndex: {
      partitionKey: 'pk',
      sortKey: 'sk',
      envVar: 'DEVICE_INDEX_TABLE',
      localName: 'fleetpulse-device-index',
    },
  },
} as const satisfies Feature;
