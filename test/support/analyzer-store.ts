/** dynalite in a temp folder with an analyzer table (deviceId, sk), for the session store's tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnalyzerDeps } from '#lambdas/analyzer/session-store.ts';
import { startDynamoDb } from '#local/dynamodb.ts';

export interface AnalyzerStoreFixture {
  readonly deps: AnalyzerDeps;
  /** The plain client, for items written or read as they are on disk. */
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

export async function startAnalyzerStore(table = 'analyzer'): Promise<AnalyzerStoreFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-analyzer-store-'));
  const dynamo = await startDynamoDb({ dir, port: 0 });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'deviceId', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'deviceId', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  return {
    deps: { ddb: DynamoDBDocumentClient.from(client), table },
    client,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
