/** InventoryDeps built from the shared, module-scope AWS clients, for the handlers. */
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { ddb, iotData, s3 } from '#lambdas/commons/clients.ts';
import { numberFromEnv, resourceNames } from '#lambdas/commons/env.ts';
import { DEFAULT_INVENTORY_SETTINGS, type InventoryDeps } from './deps.ts';

let deps: InventoryDeps | undefined;

/** Lazily built so a handler only needs the env vars of the resources it actually touches. */
export function inventoryDeps(): InventoryDeps {
  deps ??= {
    ddb,
    s3,
    // Getters: the heartbeat handler uses these deps without the archive bucket bound.
    get table() {
      return resourceNames.table('inventory');
    },
    get bucket() {
      return resourceNames.bucket('archive');
    },
    publish: async (topic, payload) => {
      await iotData().send(new PublishCommand({ topic, qos: 1, payload: Buffer.from(payload, 'utf8') }));
    },
    now: () => Date.now(),
    settings: {
      gapGraceMs:
        numberFromEnv('INVENTORY_GAP_GRACE_SEC', DEFAULT_INVENTORY_SETTINGS.gapGraceMs / 1000) * 1000,
      resyncIntervalMs:
        numberFromEnv('INVENTORY_RESYNC_INTERVAL_SEC', DEFAULT_INVENTORY_SETTINGS.resyncIntervalMs / 1000) *
        1000,
    },
  };
  return deps;
}
