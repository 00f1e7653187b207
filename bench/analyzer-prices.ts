/**
 * The analyzer path's cost per million batches: measured counts per batch (analyzer-cost.ts) times
 * us-east-1 list prices, written down once here with where they come from. Pure: no I/O.
 *
 * Free tiers are left out (a fleet past its first million batches is past them), and so is the
 * event source's polling of an empty queue, which costs per month, not per batch (see FIXED_NOTE).
 */

/** Checked on 2026-11-29 against the public pricing pages below (us-east-1, first tier). */
export const PRICES_CHECKED = '2026-11-29';

export const PRICES = {
  iotRuleTriggered: {
    usd: 0.15 / 1e6,
    unit: 'rule triggered',
    source: 'aws.amazon.com/iot-core/pricing (rules engine)',
  },
  iotActionExecuted: {
    usd: 0.15 / 1e6,
    unit: 'action executed',
    source: 'aws.amazon.com/iot-core/pricing (rules engine)',
  },
  iotBasicIngestMessage: {
    usd: 0,
    unit: '5 KB message unit',
    source: 'docs.aws.amazon.com/iot/latest/developerguide/iot-basic-ingest.html (no messaging cost)',
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    unit: 'request per 64 KB chunk',
    source: 'aws.amazon.com/sqs/pricing (standard queue)',
  },
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'invocation', source: 'aws.amazon.com/lambda/pricing' },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    unit: 'GB-s (arm64)',
    source: 'aws.amazon.com/lambda/pricing (arm64, first 7.5 B GB-s)',
  },
  s3Put: {
    usd: 0.005 / 1000,
    unit: 'PUT, COPY, POST or LIST',
    source: 'aws.amazon.com/s3/pricing (S3 Standard)',
  },
  s3Get: { usd: 0.0004 / 1000, unit: 'GET', source: 'aws.amazon.com/s3/pricing (S3 Standard)' },
  s3StorageGbMonth: {
    usd: 0.023,
    unit: 'GB-month',
    source: 'aws.amazon.com/s3/pricing (S3 Standard, first 50 TB)',
  },
  dynamodbWrite: {
    usd: 0.625 / 1e6,
    unit: 'write request unit (1 KB)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand',
  },
  dynamodbRead: {
    usd: 0.125 / 1e6,
    unit: 'read request unit (strong ≤ 4 KB, or 2 eventual)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand',
  },
  dynamodbStorageGbMonth: {
    usd: 0.25,
    unit: 'GB-month (item + 100 B overhead)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand',
  },
} as const;

export type PriceName = keyof typeof PRICES;

export const FIXED_NOTE =
  'not per batch: the SQS event source long-polls each queue even when it is empty (a few ReceiveMessage per minute per poller, well under $1 per queue per month)';

/** DynamoDB bills storage per item as its attribute names and values plus 100 bytes. */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
const GB = 1024 ** 3;

/** What one batch costs the path, as measured: every figure is per batch. */
export interface CountsPerBatch {
  iotRulesTriggered: number;
  iotActionsExecuted: number;
  iotMessageUnits: number;
  /** The rule's SendMessage, in 64 KB chunks. */
  sqsRuleSend: number;
  /** The event source's ReceiveMessage and DeleteMessageBatch on the analyzer queue, in chunks. */
  sqsAnalyzerReceiveDelete: number;
  /** The analyzerTables message: the handler's send, the event source's receive and delete. */
  sqsTablesMessages: number;
  analyzerInvocations: number;
  analyzerGbSeconds: number;
  tablesInvocations: number;
  tablesGbSeconds: number;
  s3Puts: number;
  s3Gets: number;
  s3Lists: number;
  /** Bytes stored in S3 per batch: raw bundle share and Parquet share. */
  s3RawBytes: number;
  s3ParquetBytes: number;
  dynamodbWriteUnits: number;
  dynamodbReadUnits: number;
  /** Bytes DynamoDB bills as stored per batch (index item, and the summary's share). */
  dynamodbStoredBytes: number;
}

export interface LineItem {
  readonly name: string;
  readonly count: number;
  /** $ per million batches. */
  readonly usdPerMillion: number;
}

/**
 * The priced line items for one million batches. Storage is charged for `retentionMonths` months
 * of the bytes one batch leaves behind (both stores keep them that long).
 */
export function priceCounts(c: CountsPerBatch, retentionMonths: number): LineItem[] {
  const months = `${retentionMonths} mo`;
  const requests = (name: string, count: number, price: PriceName): LineItem => ({
    name,
    count,
    usdPerMillion: count * PRICES[price].usd * 1e6,
  });
  const stored = (name: string, bytes: number, price: PriceName): LineItem => ({
    name,
    count: bytes,
    usdPerMillion: (bytes / GB) * retentionMonths * PRICES[price].usd * 1e6,
  });
  return [
    requests('IoT rules triggered', c.iotRulesTriggered, 'iotRuleTriggered'),
    requests('IoT actions executed (SQS)', c.iotActionsExecuted, 'iotActionExecuted'),
    requests('IoT 5 KB message units (Basic Ingest)', c.iotMessageUnits, 'iotBasicIngestMessage'),
    requests('SQS rule SendMessage (64 KB chunks)', c.sqsRuleSend, 'sqsRequest'),
    requests('SQS event source receive + delete', c.sqsAnalyzerReceiveDelete, 'sqsRequest'),
    requests('SQS analyzerTables send/receive/delete', c.sqsTablesMessages, 'sqsRequest'),
    requests('Lambda invocations', c.analyzerInvocations + c.tablesInvocations, 'lambdaRequest'),
    requests('Lambda GB-seconds (arm64)', c.analyzerGbSeconds + c.tablesGbSeconds, 'lambdaArmGbSecond'),
    requests('S3 PUT + LIST requests', c.s3Puts + c.s3Lists, 's3Put'),
    requests('S3 GET requests', c.s3Gets, 's3Get'),
    stored(`S3 raw bytes stored (${months})`, c.s3RawBytes, 's3StorageGbMonth'),
    stored(`S3 Parquet bytes stored (${months})`, c.s3ParquetBytes, 's3StorageGbMonth'),
    requests('DynamoDB write request units', c.dynamodbWriteUnits, 'dynamodbWrite'),
    requests('DynamoDB read request units', c.dynamodbReadUnits, 'dynamodbRead'),
    stored(`DynamoDB bytes stored (${months})`, c.dynamodbStoredBytes, 'dynamodbStorageGbMonth'),
  ];
}

export const totalOf = (items: readonly LineItem[]): number =>
  items.reduce((sum, item) => sum + item.usdPerMillion, 0);

/**
 * The one-object-per-batch design from the same measured counts: the same rule, queue, analyzer
 * invocations and DynamoDB index and summary, but every batch its own S3 object (one PUT of the
 * frame as the device sent it) and no Parquet, no analyzerTables queue, no second function: the
 * cheapest form of that design (its own Parquet per batch would add two PUTs per batch).
 */
export function oneObjectPerBatch(ours: CountsPerBatch, frameBytes: number): CountsPerBatch {
  return {
    ...ours,
    sqsTablesMessages: 0,
    tablesInvocations: 0,
    tablesGbSeconds: 0,
    s3Puts: 1,
    s3Gets: 0,
    s3Lists: 0,
    s3RawBytes: frameBytes,
    s3ParquetBytes: 0,
  };
}
