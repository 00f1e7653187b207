/** What the analyzer path left behind in the emulators: S3 bytes by kind, DynamoDB item sizes by kind. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { itemBytes } from '#lambdas/commons/item-size.ts';
import { buckets, tables } from '#wiring/fleet.ts';

export /** What the path left behind: S3 bytes by kind, DynamoDB item sizes by kind. */
async function storedBytes(s3: S3Client, ddbClient: DynamoDBClient) {
  const ddb = DynamoDBDocumentClient.from(ddbClient);
  let rawBytes = 0;
  let parquetBytes = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: buckets.archive.localName,
        Prefix: 'analyzer/',
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key?.startsWith('analyzer/raw/')) rawBytes += object.Size ?? 0;
      else parquetBytes += object.Size ?? 0;
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);

  const indexItems: number[] = [];
  const summaryItems: number[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: tables.analyzer.localName, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const kind = String(item.sk).split('#')[0];
      (kind === 'batch' ? indexItems : summaryItems).push(itemBytes(item));
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return { rawBytes, parquetBytes, indexItems, summaryItems };
}
