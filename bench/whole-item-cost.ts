/**
 * Measurement helpers for the benchmark: what the naive design (the whole state as one item,
 * rewritten on every report) would cost, next to what an applied report really consumed
 * (IngestResult.writeUnits).
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { InventoryDeps } from '#lambdas/inventory/deps.ts';
import { WHOLE_STATE_SCRATCH_SK } from '#lambdas/inventory/keys.ts';
import { getInventory } from '#lambdas/inventory/read-model.ts';

export interface WholeItemCost {
  /** Write units DynamoDB billed for one PutItem of the whole state as one item. */
  readonly writeUnits: number;
  /** Size of the state as JSON. */
  readonly stateBytes: number;
}

/** PutItems the device's current state as one item (scratch key, deleted afterwards) and returns the WCU billed. */
export async function measureWholeItemRewrite(deps: InventoryDeps, deviceId: string): Promise<WholeItemCost> {
  const state = await getInventory(deps, deviceId);
  const out = await deps.ddb.send(
    new PutCommand({
      TableName: deps.table,
      Item: {
        deviceId,
        sk: WHOLE_STATE_SCRATCH_SK,
        epoch: state.epoch,
        seq: state.seq,
        collectedAt: state.collectedAt,
        sections: state.sections,
      },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  await deps.ddb.send(
    new DeleteCommand({ TableName: deps.table, Key: { deviceId, sk: WHOLE_STATE_SCRATCH_SK } }),
  );
  return {
    writeUnits: out.ConsumedCapacity?.CapacityUnits ?? 0,
    stateBytes: Buffer.byteLength(JSON.stringify(state.sections), 'utf8'),
  };
}
