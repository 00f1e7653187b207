/**
 * DynamoDB: dynalite (the real DynamoDB JSON wire protocol) on a LevelDB store under
 * `<dataDir>/dynamodb`, so device data survives restarts. No TTL and no transactions, by design of
 * the emulator; correctness must not depend on either (see DESIGN.md).
 */
import type { Server } from 'node:http';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { type TableSpec, tables } from '#wiring/resources.ts';
import { closeServer, listenLocal } from './http.ts';

export interface LocalDynamoDb {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoDb(options: { dir: string; port: number }): Promise<LocalDynamoDb> {
  const server: Server = dynalite({
    path: options.dir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listenLocal(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
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
    try {
      await client.send(
        new CreateTableCommand({
          TableName: spec.localName,
          KeySchema: keys,
          AttributeDefinitions: attributes,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }
}
