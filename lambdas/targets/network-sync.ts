/**
 * Brings a device's address index to the network section the inventory now stores. Cheap when
 * there is nothing to do (two small reads), so it can run on every duplicate report — the repair
 * path after a crash between a report's apply and its reindex.
 */
import type { JsonObject } from '#protocol/inventory.ts';
import type { InventoryDeps } from '../inventory/deps.ts';
import { getMeta, StaleReadError } from '../inventory/persistence.ts';
import { readState } from '../inventory/read.ts';
import type { IndexDeps } from './device-index.ts';
import { getProjection, type ReindexOutcome, reindexNetwork } from './network-index.ts';

export async function syncNetworkIndex(
  deps: { readonly index: IndexDeps; readonly inventory: InventoryDeps },
  deviceId: string,
  now: number,
): Promise<ReindexOutcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const meta = await getMeta(deps.inventory, deviceId);
    if (!meta) return 'unchanged';
    const manifest = meta.manifest.network ?? '';
    const projection = await getProjection(deps.index, deviceId);
    if (projection && (projection.manifest === manifest || projection.g >= meta.gen)) return 'unchanged';
    if (!projection && manifest === '') return 'unchanged';
    let state: Record<string, JsonObject>;
    try {
      state = manifest === '' ? {} : await readState(deps.inventory, meta, ['network']);
    } catch (err) {
      // The state moved on while reading: index the newer one.
      if (err instanceof StaleReadError) continue;
      throw err;
    }
    return reindexNetwork(deps.index, {
      deviceId,
      g: meta.gen,
      manifest,
      network: state.network,
      now,
    });
  }
  throw new Error(`inventory of ${deviceId} kept moving while indexing its network; retry`);
}
