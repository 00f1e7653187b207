/**
 * Faults: a handler throwing, the cloud restarting under connected devices, and kill -9 of the
 * cloud's process group mid-stream. What must hold: nothing accepted (PUBACKed, 2xx) is lost, and
 * failures end in a dead letter with their reason, never in a loop or a silent drop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { archiveKey } from '#lambdas/inventory/keys.ts';
import { ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';
import { connectDeviceClient } from '#local/device-client.ts';
import { topics } from '#protocol/topics.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { type ChildCloud, startChildCloud } from '../support/child-cloud.ts';
import { waitFor } from '../support/wait.ts';
import { api } from './context.ts';
import { type Kind, kind } from './kind.ts';
import { framed, fullReport, heartbeat } from './messages.ts';

/** Runs `body` against a cloud in a child process group; always stops it and removes its data. */
async function withChildCloud(
  options: { throwOn?: string },
  body: (cloud: ChildCloud, dataDir: string) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-adversarial-'));
  const cloud = await startChildCloud({ dataDir, ...options });
  try {
    await body(cloud, dataDir);
  } finally {
    await cloud.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const childApi = (cloud: ChildCloud, path: string) =>
  api({ endpoints: cloud.endpoints } as Parameters<typeof api>[0], path);

async function childDevice(cloud: ChildCloud, dataDir: string, deviceId: string) {
  const ca = await ensureDevCa(join(dataDir, 'ca'));
  return connectDeviceClient(
    { mqttUrl: cloud.endpoints.mqttUrl, ca },
    deviceId,
    await issueDeviceCert(ca, deviceId),
  );
}

export const faultKinds: Kind[] = [
  kind(
    'fault',
    'handler throwing: retried, then dead-lettered with its reason; the next message works',
    async () =>
      withChildCloud({ throwOn: 'boom' }, async (cloud, dataDir) => {
        const device = await childDevice(cloud, dataDir, 'thrower');
        await device.publishAsync(topics.heartbeat('thrower'), JSON.stringify({ boom: true }), { qos: 1 });
        await device.publishAsync(topics.heartbeat('thrower'), JSON.stringify(heartbeat()), { qos: 1 });
        await device.endAsync();
        const sqs = new SQSClient({
          region: cloud.endpoints.region,
          endpoint: cloud.endpoints.sqsEndpoint,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          useQueueUrlAsEndpoint: false,
        });
        try {
          const { QueueUrl } = await sqs.send(
            new GetQueueUrlCommand({
              QueueName: 'fleetpulse-ingest-dlq',
            }),
          );
          const entry = await waitFor(
            async () => {
              const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
              const body = res.Messages?.[0]?.Body;
              return body ? DeadLetterSchema.parse(JSON.parse(body)) : undefined;
            },
            { timeoutMs: 15_000, what: 'the dead letter of the throwing handler' },
          );
          expect(entry).toMatchObject({
            source: 'heartbeat',
            reason: 'injected fault: boom',
            deviceId: 'thrower',
          });
        } finally {
          sqs.destroy();
        }
        await waitFor(
          async () => {
            const a = await childApi(cloud, '/devices/thrower');
            return (a.body as { lastHeartbeatAt?: number }).lastHeartbeatAt;
          },
          { timeoutMs: 10_000, what: 'the valid heartbeat after the throwing one to be recorded' },
        );
      }),
    { slow: true },
  ),
  kind(
    'fault',
    'kill -9 of the cloud mid-stream: every PUBACKed report is there after a restart',
    async () =>
      withChildCloud({}, async (cloud, dataDir) => {
        const acked: string[] = [];
        const devices: MqttClient[] = [];
        // 60 devices at once: the pipeline is still busy with most of them when the group dies.
        const sending = Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const id = `k9-${i}`;
            try {
              const device = await childDevice(cloud, dataDir, id);
              devices.push(device);
              const sections = { os: { i }, software: { pad: 'p'.repeat(2000) } };
              await device.publishAsync(
                topics.report(id),
                framed(fullReport(sections, { epoch: 'e', seq: 1 })),
                {
                  qos: 1,
                },
              );
              acked.push(id);
              await device.endAsync(true);
            } catch {
              // the cloud is gone: not acknowledged, so not promised
            }
          }),
        );
        await waitFor(() => acked.length >= 10, { timeoutMs: 30_000, what: '10 acknowledged reports' });
        await cloud.kill9();
        // A publish whose PUBACK died with the cloud stays pending in mqtt.js: end the clients, and
        // do not wait for it longer than that.
        for (const device of devices) device.end(true);
        await Promise.race([sending, new Promise((resolve) => setTimeout(resolve, 5000))]);
        await cloud.restart();
        // Stored state, change history and the archived report: all three were promised by the PUBACK.
        const s3 = new S3Client({
          region: cloud.endpoints.region,
          endpoint: cloud.endpoints.s3Endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        const lost = async (): Promise<string[]> => {
          const missing: string[] = [];
          for (const id of acked) {
            const stored = (await childApi(cloud, `/devices/${id}/inventory`)).status === 200;
            const archived = await s3
              .send(new HeadObjectCommand({ Bucket: 'fleetpulse-archive', Key: archiveKey(id, 'e', 1) }))
              .then(() => true)
              .catch(() => false);
            if (!stored || !archived)
              missing.push(`${id}${stored ? '' : ' (state)'}${archived ? '' : ' (archive)'}`);
          }
          return missing;
        };
        try {
          const missing = await waitFor(async () => ((await lost()).length === 0 ? [] : undefined), {
            timeoutMs: 20_000,
            intervalMs: 500,
            what: 'every acknowledged report',
          }).catch(lost);
          expect(missing, `${missing.length} of ${acked.length} acknowledged reports lost`).toEqual([]);
        } finally {
          s3.destroy();
        }
      }),
    { slow: true, waitsFor: 'wt-b (durable SQS/S3)' },
  ),
  kind(
    'fault',
    'broker restart: a connected device reconnects and is heard again; stored state survives',
    async (ctx) => {
      const id = ctx.id('restart');
      await ctx.seedInventory(id, { os: { name: 'before restart' } });
      const device = await ctx.device(id, { mqtt: { reconnectPeriod: 300 } });
      await ctx.t.restart();
      await waitFor(() => device.connected, { timeoutMs: 15_000, what: 'the device to reconnect' });
      const sentAt = Date.now();
      await device.publishAsync(topics.heartbeat(id), JSON.stringify(heartbeat({ sentAt })), { qos: 1 });
      await device.endAsync();
      await waitFor(
        async () => ((await ctx.api(`/devices/${id}`)).body as { lastHeartbeatAt?: number }).lastHeartbeatAt,
        { timeoutMs: 10_000, what: 'the heartbeat after the restart' },
      );
      const inventory = await ctx.api(`/devices/${id}/inventory`);
      expect((inventory.body as { sections: unknown }).sections).toEqual({ os: { name: 'before restart' } });
    },
    { slow: true },
  ),
  kind(
    'fault',
    'emulator restart: a dead letter queued before a restart is still there after it',
    async (ctx) => {
      const id = ctx.id('dlq-restart');
      await ctx.deadLetters.stop();
      try {
        const device = await ctx.device(id);
        await device.publishAsync(topics.heartbeat(id), 'not json', { qos: 1 });
        await device.endAsync();
        await ctx.t.cloud.idle();
        await ctx.t.restart();
      } finally {
        ctx.deadLetters.start();
      }
      await ctx.deadLetters.expect(id, /not valid JSON/);
    },
    { slow: true },
  ),
];
