/** The IoT data-plane client, for handlers that publish to devices. */
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { IOT_DATA_ENDPOINT_ENV } from '#wiring/resources.ts';
import { requestHandler } from './request-handler.ts';

let iotDataClient: IoTDataPlaneClient | undefined;
/** Lazily built: the endpoint is account-specific and only publishing handlers have it. */
export function iotData(): IoTDataPlaneClient {
  if (!iotDataClient) {
    const endpoint = process.env[IOT_DATA_ENDPOINT_ENV];
    iotDataClient = new IoTDataPlaneClient(endpoint ? { endpoint, requestHandler } : { requestHandler });
  }
  return iotDataClient;
}

/** Publishes a JSON message to a device topic at QoS 1. */
export async function publishToDevice(topic: string, payload: string): Promise<void> {
  await iotData().send(new PublishCommand({ topic, qos: 1, payload: Buffer.from(payload, 'utf8') }));
}
