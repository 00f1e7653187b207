/**
 * Report reaction: when the stored network section changed (or a report came again, which may mean
 * the first delivery died between apply and reindex), bring the address index up to date.
 * Idempotent by construction: it indexes what is stored, tagged with the inventory generation.
 */
import { ddb } from '../commons/aws/dynamodb.ts';
import { resourceNames } from '../commons/env.ts';
import { inventoryDeps } from '../inventory/handler-deps.ts';
import type { ReportReaction } from '../inventory/report-reaction.ts';
import { syncNetworkIndex } from './network-sync.ts';

export const networkIndexReaction: ReportReaction = {
  name: 'network-index',
  wants: (settled) => settled.changedSections.includes('network') || settled.outcome === 'duplicate',
  async react(settled, ctx) {
    const index = { ddb, deviceIndexTable: resourceNames.table('deviceIndex') };
    const outcome = await syncNetworkIndex(
      { index, inventory: inventoryDeps() },
      settled.deviceId,
      Date.now(),
    );
    if (outcome === 'indexed') {
      ctx.metrics.addMetric('NetworkReindexed', 'Count', 1);
      ctx.logger.info('network index updated', { deviceId: settled.deviceId });
    }
  },
};
