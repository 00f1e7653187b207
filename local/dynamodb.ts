/**
 * DynamoDB: dynalite (the real DynamoDB JSON wire protocol), in its own thread, on a LevelDB store under
 * `<dataDir>/dynamodb`, so device data survives restarts. No TTL and no transactions, by design of
 * the emulator; correctness must not depend on either (see DESIGN.md).
 */
import { once } from 'node:events';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { tables } from '#wiring/fleet.ts';
import type { TableSpec } from '#wiring/resources.ts';
import { spawnTsWorker } from './ts-worker.ts';

export interface LocalDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

type FromDynamoDbWorker =
  | { kind: 'listening'; port: number }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' };

/** dynalite in a worker thread (dynamodb-worker.ts), listening on 127.0.0.1:`port`. */
export async function startDynamoDb(options: { dir: string; port: number }): Promise<LocalDynamoDb> {
  const worker = spawnTsWorker(new URL('./dynamodb-worker.ts', import.meta.url), options);
  const [first] = (await Promise.race([
    once(worker, 'message'),
    once(worker, 'exit').then(([code]) => [{ kind: 'failed', message: `exited with code ${code}` }]),
  ])) as [FromDynamoDbWorker];
  if (first.kind !== 'listening') {
    await worker.terminate();
    throw new Error(
      `DynamoDB emulator did not start: ${first.kind === 'failed' ? first.message : first.kind}`,
    );
  }
  return {
    endpoint: `http://127.0.0.1:${first.port}`,
    async stop() {
      // Closed cleanly (the store flushed), then the thread ends.
      const stopped = once(worker, 'message');
      worker.postMessage({ kind: 'stop' });
      await Promise.race([stopped, once(worker, 'exit')]);
      await worker.terminate();
    },
  };
}

/** Creates every table declared in the wiring; tables kept from a previous run are left as they are. */
export async function createTables(client: DynamoDBClient): Promise<void> {
  for (const spec of Object.values(tables) as TableSpec[]) {
    const keys: KeySchemaElement[] = [{ AttributeName: spec.partitionKey, KeyType: 'HASH' }];
    const attributes: AttributeDefinition[] = [{ AttributeName: spec.partitionKey, AttributeType: 'S' }];
    if (spec.sortKey) {
      keys.push({ AttributeName: spec.sortKey, KeyType: 'RANGE' });
      attributes.push({ AttributeName: spec.sortKey, AttributeType: 'S' });
    }
    const indexes: GlobalSecondaryIndex[] = Object.entries(spec.indexes ?? {}).map(([name, index]) => {
      if (!attributes.some((a) => a.AttributeName === index.partitionKey)) {
        attributes.push({ AttributeName: index.partitionKey, AttributeType: 'S' });
      }
      attributes.push({ AttributeName: index.numberSortKey, AttributeType: 'N' });
      return {
        IndexName: name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.numberSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      };
    });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: spec.localName,
          KeySchema: keys,
          AttributeDefinitions: attributes,
          ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
      await assertIndexes(client, spec);
    }
  }
}

/**
 * A table kept from a run before an index was declared lacks it, and dynalite cannot add one to a
 * table: say what to do instead of failing every read of the index later.
 */
async function assertIndexes(client: DynamoDBClient, spec: TableSpec): Promise<void> {
  const wanted = Object.keys(spec.indexes ?? {});
  if (wanted.length === 0) return;
  const { Table } = await client.send(new DescribeTableCommand({ TableName: spec.localName }));
  const have = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  const missing = wanted.filter((name) => !have.has(name));
  if (missing.length > 0) {
    throw new Error(
      `table ${spec.localName} in the data folder predates its index ${missing.join(', ')}: start with a new FLEETPULSE_DATA_DIR (or delete the old one)`,
    );
  }
}
