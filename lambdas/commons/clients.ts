/**
 * AWS clients, created once per execution environment. The same code runs in AWS and in the local
 * cloud: only endpoints differ, and those come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE>
 * variables (set by local/) plus IOT_DATA_ENDPOINT (set by lib/ from the account's ATS endpoint).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IOT_DATA_ENDPOINT_ENV } from '#wiring/resources.ts';
import { traced } from './powertools.ts';

/**
 * Kept-alive sockets per client. A full report writes its changed shards at once (dozens of
 * requests), and the local cloud runs a few invocations in one execution environment; past the
 * SDK's default of 50 the rest queue and the SDK warns that socket usage is at capacity.
 */
const MAX_SOCKETS = 128;
const requestHandler = {
  httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
  httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
};

export const dynamodb = traced(new DynamoDBClient({ requestHandler }));
export const ddb = DynamoDBDocumentClient.from(dynamodb, {
  marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
});

// Queue URLs carry their own host; using the configured endpoint keeps local emulators reachable.
export const sqs = traced(new SQSClient({ useQueueUrlAsEndpoint: false, requestHandler }));

export const s3 = traced(
  new S3Client({ forcePathStyle: process.env.FLEETPULSE_S3_PATH_STYLE === 'true', requestHandler }),
);

let iotDataClient: IoTDataPlaneClient | undefined;
/** Lazily built: the endpoint is account-specific and only publishing handlers have it. */
export function iotData(): IoTDataPlaneClient {
  if (!iotDataClient) {
    const endpoint = process.env[IOT_DATA_ENDPOINT_ENV];
    iotDataClient = traced(
      new IoTDataPlaneClient(endpoint ? { endpoint, requestHandler } : { requestHandler }),
    );
  }
  return iotDataClient;
}
