import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynamoDb } from '#local/dynamodb.ts';
import { fetchRequestCounts } from '#local/dynamodb-counter.ts';

describe('DynamoDB emulator request counts', () => {
  let dir: string;
  let dynamodb: LocalDynamoDb;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-ddb-counter-'));
    dynamodb = await startDynamoDb({ dir, port: 0 });
    client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamodb.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client?.destroy();
    await dynamodb?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts every request by operation, failed ones too, and still serves them', async () => {
    const before = await fetchRequestCounts(dynamodb.endpoint);
    const listed = await client.send(new ListTablesCommand({}));
    await client.send(new ListTablesCommand({}));
    await expect(client.send(new DescribeTableCommand({ TableName: 'missing' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(listed.TableNames).toEqual([]);
    const after = await fetchRequestCounts(dynamodb.endpoint);
    expect((after.ListTables ?? 0) - (before.ListTables ?? 0)).toBe(2);
    expect((after.DescribeTable ?? 0) - (before.DescribeTable ?? 0)).toBe(1);
  });
});
