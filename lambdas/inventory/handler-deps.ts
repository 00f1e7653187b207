/** InventoryDeps built from the shared, module-scope AWS clients, for the handlers. */
import type { S3Client } from '@aws-sdk/client-s3';
import { ddb } from '#lambdas/commons/aws/dynamodb.ts';
import { ConfigurationError, numberFromEnv, resourceNames } from '#lambdas/commons/env.ts';
import { DEFAULT_INVENTORY_SETTINGS, type InventoryDeps } from './deps.ts';

/**
 * What a handler may do besides reading and writing the inventory table. The handler passes its own
 * clients in (this module imports none of them) so that a bundle holds only the SDK clients its
 * handler uses: the S3 client for the report archive, the IoT data plane for asking devices.
 */
export interface InventoryAccess {
  readonly archive?: S3Client;
  readonly publish?: InventoryDeps['publish'];
}

/** Built per call so a handler only needs the env vars of the resources it actually touches. */
export function inventoryDeps(access: InventoryAccess = {}): InventoryDeps {
  const { archive, publish } = access;
  return {
    ddb,
    // Getters: a handler without the archive (the heartbeat) uses these deps without S3 or the bucket.
    get s3() {
      if (!archive) throw new ConfigurationError('this handler has no access to the report archive');
      return archive;
    },
    get table() {
      return resourceNames.table('inventory');
    },
    get bucket() {
      return resourceNames.bucket('archive');
    },
    publish: async (topic, payload) => {
      if (!publish) throw new ConfigurationError('this handler may not publish to devices');
      await publish(topic, payload);
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
}
