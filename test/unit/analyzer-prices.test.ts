import { describe, expect, it } from 'vitest';
import { type CountsPerBatch, oneObjectPerBatch, priceCounts, totalOf } from '#bench/analyzer-prices.ts';
import { itemBytes } from '#lambdas/commons/item-size.ts';

/** The brief's estimate of the floor: one rule and action, one SendMessage, one index write. */
const floor: CountsPerBatch = {
  iotRulesTriggered: 1,
  iotActionsExecuted: 1,
  iotMessageUnits: 1,
  sqsRuleSend: 1,
  sqsAnalyzerReceiveDelete: 0,
  sqsTablesMessages: 0,
  analyzerInvocations: 0,
  analyzerGbSeconds: 0,
  tablesInvocations: 0,
  tablesGbSeconds: 0,
  s3Puts: 0,
  s3Gets: 0,
  s3Lists: 0,
  s3RawBytes: 0,
  s3ParquetBytes: 0,
  dynamodbWriteUnits: 1,
  dynamodbReadUnits: 0,
  dynamodbStoredBytes: 0,
};

const usd = (counts: CountsPerBatch, months = 1) => totalOf(priceCounts(counts, months));

describe('analyzer cost model', () => {
  it('prices the floor at rules $0.30 + SQS send $0.40 + one write unit $0.625 per million batches', () => {
    expect(usd(floor)).toBeCloseTo(1.325, 6);
  });

  it('prices Lambda, S3 and DynamoDB reads at their list prices', () => {
    const zero = {
      ...floor,
      iotRulesTriggered: 0,
      iotActionsExecuted: 0,
      sqsRuleSend: 0,
      dynamodbWriteUnits: 0,
    };
    // 1 GB-s per batch: $0.0000133334 × 1e6; one PUT: $5; one GET: $0.40; one strong read: $0.125.
    expect(usd({ ...zero, analyzerGbSeconds: 1 })).toBeCloseTo(13.3334, 4);
    expect(usd({ ...zero, s3Puts: 1 })).toBeCloseTo(5, 6);
    expect(usd({ ...zero, s3Gets: 1 })).toBeCloseTo(0.4, 6);
    expect(usd({ ...zero, dynamodbReadUnits: 1 })).toBeCloseTo(0.125, 6);
  });

  it('charges storage per GiB-month for the retention asked', () => {
    const gib = {
      ...floor,
      iotRulesTriggered: 0,
      iotActionsExecuted: 0,
      sqsRuleSend: 0,
      dynamodbWriteUnits: 0,
    };
    // 1 KiB per batch is 0.954 GiB per million batches (AWS bills storage per GiB-month).
    const oneKiB = 1024;
    const s3Month = usd({ ...gib, s3RawBytes: oneKiB });
    expect(s3Month).toBeCloseTo((1e6 * oneKiB * 0.023) / 1024 ** 3, 6);
    expect(usd({ ...gib, s3RawBytes: oneKiB }, 12)).toBeCloseTo(12 * s3Month, 6);
    expect(usd({ ...gib, dynamodbStoredBytes: oneKiB })).toBeCloseTo((1e6 * oneKiB * 0.25) / 1024 ** 3, 6);
  });

  it('derives one object per batch from the same counts: a PUT per batch, no bundle, no Parquet, no tables function', () => {
    const ours = {
      ...floor,
      s3Puts: 0.003,
      s3Gets: 0.001,
      s3RawBytes: 1100,
      s3ParquetBytes: 1100,
      tablesInvocations: 0.001,
      tablesGbSeconds: 0.004,
      sqsTablesMessages: 0.004,
    };
    const one = oneObjectPerBatch(ours, 1000);
    expect(one).toMatchObject({
      s3Puts: 1,
      s3Gets: 0,
      s3RawBytes: 1000,
      s3ParquetBytes: 0,
      tablesInvocations: 0,
      tablesGbSeconds: 0,
      sqsTablesMessages: 0,
    });
    expect(one.dynamodbWriteUnits).toBe(ours.dynamodbWriteUnits);
    expect(usd(one) - usd(ours)).toBeGreaterThan(4.9);
  });
});

describe('DynamoDB item size', () => {
  it('counts attribute names and values as DynamoDB bills them', () => {
    expect(itemBytes({ name: 'abc' })).toBe(4 + 3);
    expect(itemBytes({ n: 123 })).toBe(1 + 3);
    expect(itemBytes({ n: 1000 })).toBe(1 + 2);
    expect(itemBytes({ b: new Uint8Array(10) })).toBe(1 + 10);
    expect(itemBytes({ ok: true, nothing: null })).toBe(2 + 1 + 7 + 1);
    expect(itemBytes({ l: ['ab', 1] })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    expect(itemBytes({ m: { k: 'v' } })).toBe(1 + 3 + (1 + 1 + 1));
  });
});
