/**
 * Connections do not survive a restart of the local cloud, but the devices table still says who
 * was connected when it stopped (or was killed). IoT Core emits a disconnect for every connection
 * it loses; the local broker starts empty, so at start the cloud emits that disconnect itself for
 * every device whose stored presence says connected, through the same topic rule and handler.
 * The events are timestamped before the broker accepts anyone: a device that reconnects is newer.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { topics } from '#protocol/topics.ts';
import { tables } from '#wiring/fleet.ts';
import { disconnectedEvent } from './lifecycle.ts';
import type { RuleEngine } from './rule-engine.ts';

const number = (value: { N?: string } | undefined): number | undefined =>
  value?.N === undefined ? undefined : Number(value.N);

/** Device ids whose last connect or heartbeat is newer than their last disconnect. */
export async function devicesStoredAsConnected(ddb: DynamoDBClient): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateScan(
    { client: ddb },
    {
      TableName: tables.devices.localName,
      ProjectionExpression: 'deviceId, lastConnectedAt, lastHeartbeatAt, lastDisconnectedAt',
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const id = item.deviceId?.S;
      if (id === undefined) continue;
      const seen = Math.max(number(item.lastConnectedAt) ?? -1, number(item.lastHeartbeatAt) ?? -1);
      if (seen > (number(item.lastDisconnectedAt) ?? -1)) ids.push(id);
    }
  }
  return ids;
}

/** Dispatches a lost-connection disconnect for each device the store still shows connected. */
export async function disconnectStaleSessions(ddb: DynamoDBClient, rules: RuleEngine): Promise<number> {
  const ids = await devicesStoredAsConnected(ddb);
  for (const clientId of ids) {
    const event = disconnectedEvent(
      { clientId, sessionIdentifier: randomUUID() },
      Date.now(),
      'SERVER_INITIATED_DISCONNECT',
    );
    rules.dispatch({
      topic: topics.presence('disconnected', clientId),
      payload: Buffer.from(JSON.stringify(event)),
    });
  }
  return ids.length;
}
