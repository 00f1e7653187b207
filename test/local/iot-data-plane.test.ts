import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

describe('local IoT data plane', () => {
  let t: TestCloud;
  let iotData: IoTDataPlaneClient;

  beforeAll(async () => {
    t = await startTestCloud({ handlersOverride: stubHandlers() });
    // Exactly how lambdas/commons/aws/iot-data.ts builds it: endpoint from IOT_DATA_ENDPOINT, the rest from env.
    iotData = new IoTDataPlaneClient({ endpoint: process.env.IOT_DATA_ENDPOINT });
  });
  afterAll(async () => {
    iotData?.destroy();
    await t?.cleanup();
  });

  it('delivers an SDK PublishCommand to the device subscribed on cmd/fleet/{id}, byte for byte', async () => {
    const device = await t.deviceClient('dev-d1');
    const received: Array<{ topic: string; payload: Buffer }> = [];
    device.on('message', (topic, payload) => received.push({ topic, payload }));
    await device.subscribeAsync('cmd/fleet/dev-d1', { qos: 1 });
    const payload = Buffer.from([0x7b, 0x00, 0xff, 0x10, 0x7d]);

    const response = await iotData.send(new PublishCommand({ topic: 'cmd/fleet/dev-d1', qos: 1, payload }));

    expect(response.$metadata.httpStatusCode).toBe(200);
    const message = await waitFor(() => received[0]);
    expect(message.topic).toBe('cmd/fleet/dev-d1');
    expect(message.payload.equals(payload)).toBe(true);
  });

  it('answers an operation it does not implement with a JSON 404', async () => {
    const res = await fetch(`${t.endpoints.iotDataEndpoint}/things/dev-d1/shadow`);

    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: expect.any(String) });
  });

  it('rejects a publish with a wildcard topic as an InvalidRequestException', async () => {
    await expect(
      iotData.send(new PublishCommand({ topic: 'cmd/fleet/+', payload: Buffer.from('x') })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
  });
});
