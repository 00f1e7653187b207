/**
 * `npm run test:crash`: the long form of test/local/crash-consistency.test.ts, on the whole local
 * cloud. A simulated fleet (in this process, so it outlives the cloud) keeps reporting while the
 * cloud (`local/main.ts --no-fleet`, its own process group) is killed with SIGKILL several times at
 * random moments and restarted on the same data dir. Alongside, this script sends messages to a
 * dead-letter queue and writes archive objects directly. Afterwards it checks that every
 * acknowledged message and object is there, every dead letter seen before a kill is still there,
 * and every device's stored inventory reaches the sequence its agent is at. Exit code 1 on failure.
 *
 *   npm run test:crash -- [--devices 20] [--kills 3] [--run-sec 15] [--port-base 22100]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { InventoryModule } from '#agent/inventory/module.ts';
import { peekMessages } from '#cli/dlq.ts';
import { REPO_ROOT } from '#local/cloud.ts';
import { ensureDevCa, issueDeviceCert } from '#local/dev-ca.ts';
import { type SimulatedFleet, startSimulatedFleet } from '#simulator/fleet.ts';
import { simulatedInventoryModule } from '#simulator/inventory/module.ts';
import { buckets, queues } from '#wiring/fleet.ts';
import { type GroupProcess, spawnGroup } from '../support/process-group.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '20' },
    kills: { type: 'string', default: '3' },
    'run-sec': { type: 'string', default: '15' },
    'port-base': { type: 'string', default: '22100' },
  },
});
const DEVICES = Number(values.devices);
const KILLS = Number(values.kills);
const RUN_MS = Number(values['run-sec']) * 1000;
const PORT_BASE = Number(values['port-base']);
const bucket = buckets.archive.localName;

interface Endpoints {
  mqttUrl: string;
  apiUrl: string;
  apiToken: string;
  caCertPath: string;
  sqsEndpoint: string;
  region: string;
}

interface Cloud {
  readonly process: GroupProcess;
  readonly endpoints: Endpoints;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

const failures: string[] = [];
const check = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};

async function startCloud(dataDir: string): Promise<Cloud> {
  const env = {
    FLEETPULSE_DATA_DIR: dataDir,
    FLEETPULSE_LOG: 'error',
    FLEETPULSE_MQTT_PORT: String(PORT_BASE),
    FLEETPULSE_API_PORT: String(PORT_BASE + 1),
    FLEETPULSE_DYNAMODB_PORT: String(PORT_BASE + 2),
    FLEETPULSE_SQS_S3_PORT: String(PORT_BASE + 3),
    FLEETPULSE_IOT_DATA_PORT: String(PORT_BASE + 4),
    FLEETPULSE_MQTT_ALPN_PORT: String(PORT_BASE + 5),
  };
  const child = spawnGroup(process.execPath, ['--import', 'tsx', 'local/main.ts', '--no-fleet'], {
    cwd: REPO_ROOT,
    env,
  });
  await child.line(/local cloud is running/, 180_000);
  const endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
  const config = {
    region: endpoints.region,
    endpoint: endpoints.sqsEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  return {
    process: child,
    endpoints,
    sqs: new SQSClient({ ...config, useQueueUrlAsEndpoint: false }),
    s3: new S3Client({ ...config, forcePathStyle: true }),
  };
}

async function queueUrl(cloud: Cloud, name: keyof typeof queues): Promise<string> {
  const res = await cloud.sqs.send(new GetQueueUrlCommand({ QueueName: queues[name].localName }));
  return res.QueueUrl ?? '';
}

/** Writes until `stop`; returns what was acknowledged. */
async function writeUntil(cloud: Cloud, round: number, stop: Promise<void>) {
  const sent = new Map<string, string>();
  const objects = new Map<string, string>();
  let running = true;
  void stop.then(() => {
    running = false;
  });
  const url = await queueUrl(cloud, 'reportsDeadLetter');
  const loop = async (step: (i: number) => Promise<void>): Promise<void> => {
    for (let i = 0; running; i++) {
      try {
        await step(i);
        await new Promise((resolve) => setTimeout(resolve, 5));
      } catch {
        return;
      }
    }
  };
  await Promise.all([
    loop(async (i) => {
      const body = `crash-${round}-${i}`;
      const res = await cloud.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
      sent.set(res.MessageId ?? '', body);
    }),
    loop(async (i) => {
      const key = `crash-test/${round}/${i}`;
      await cloud.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
      objects.set(key, key);
    }),
  ]);
  return { sent, objects };
}

/** Every message id in both dead-letter queues (a peek stops at the first round that finds nothing new). */
async function deadLetterIds(cloud: Cloud): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const name of ['ingestDeadLetter', 'reportsDeadLetter'] as const) {
    // Not a round number like 5,000: a fast machine acknowledges more than that before the last kill,
    // and a capped peek then reports the ones it did not reach as lost.
    for (const m of await peekMessages(cloud.sqs, await queueUrl(cloud, name), 1_000_000))
      ids.add(m.MessageId ?? '');
  }
  return ids;
}

async function storedSeq(
  cloud: Cloud,
  deviceId: string,
): Promise<{ epoch: string; seq: number } | undefined> {
  const res = await fetch(`${cloud.endpoints.apiUrl}/devices/${deviceId}/inventory`, {
    headers: { authorization: `Bearer ${cloud.endpoints.apiToken}` },
  });
  if (!res.ok) return undefined;
  return (await res.json()) as { epoch: string; seq: number };
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetpulse-crash-cloud-'));
  const modules = new Map<string, InventoryModule>();
  let fleet: SimulatedFleet | undefined;
  let cloud = await startCloud(dataDir);
  const sent = new Map<string, string>();
  const objects = new Map<string, string>();
  const deadBefore = new Set<string>();
  try {
    const ca = await ensureDevCa(join(dataDir, 'ca'));
    fleet = await startSimulatedFleet({
      count: DEVICES,
      mqttUrl: cloud.endpoints.mqttUrl,
      caCertPath: cloud.endpoints.caCertPath,
      issueIdentity: (deviceId) => issueDeviceCert(ca, deviceId),
      identityDir: join(dataDir, 'external-fleet'),
      heartbeatIntervalSec: 5,
      modules: (deviceId, seed) => {
        const module = simulatedInventoryModule(deviceId, seed, { intervalMs: 2000 });
        modules.set(deviceId, module);
        return [module];
      },
    });
    for (let kill = 1; kill <= KILLS; kill++) {
      const current = cloud;
      const killed = new Promise<void>((resolve) =>
        setTimeout(
          () => {
            void deadLetterIds(current)
              .then((ids) => {
                for (const id of ids) deadBefore.add(id);
              })
              .catch(() => undefined)
              .finally(() => {
                current.process.signal('SIGKILL');
                resolve();
              });
          },
          RUN_MS * (0.5 + Math.random()),
        ),
      );
      const acked = await writeUntil(current, kill, killed);
      for (const [k, v] of acked.sent) sent.set(k, v);
      for (const [k, v] of acked.objects) objects.set(k, v);
      await current.process.exited;
      current.sqs.destroy();
      current.s3.destroy();
      console.log(`kill ${kill}: ${acked.sent.size} messages and ${acked.objects.size} objects acknowledged`);
      cloud = await startCloud(dataDir);
    }

    const dead = await peekMessages(cloud.sqs, await queueUrl(cloud, 'reportsDeadLetter'), sent.size + 100);
    const found = new Map(dead.map((m) => [m.MessageId ?? '', m.Body ?? '']));
    for (const [id, body] of sent) check(found.get(id) === body, `message ${body} lost`);
    for (const [key, body] of objects) {
      const got = await cloud.s3
        .send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        .catch(() => undefined);
      check((await got?.Body?.transformToString()) === body, `object ${key} lost`);
    }
    const deadAfter = await deadLetterIds(cloud);
    for (const id of deadBefore) check(deadAfter.has(id), `dead letter ${id} lost`);

    const deadline = Date.now() + 180_000;
    const pending = new Set(modules.keys());
    while (pending.size > 0 && Date.now() < deadline) {
      for (const deviceId of [...pending]) {
        const agent = modules.get(deviceId)?.heartbeatFields();
        const stored = await storedSeq(cloud, deviceId);
        if (stored && agent && stored.epoch === agent.reportEpoch && stored.seq === agent.reportSeq)
          pending.delete(deviceId);
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    check(pending.size === 0, `inventory of ${[...pending].join(', ')} did not reach its agent's sequence`);

    console.log(
      [
        '',
        `kills                                   ${KILLS}`,
        `acknowledged messages checked           ${sent.size}`,
        `acknowledged objects checked            ${objects.size}`,
        `dead letters seen before kills checked  ${deadBefore.size}`,
        `devices converged                       ${modules.size - pending.size}/${modules.size}`,
        `failures                                ${failures.length}`,
      ].join('\n'),
    );
    for (const failure of failures.slice(0, 20)) console.error(`  FAIL ${failure}`);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    await fleet?.stop().catch(() => undefined);
    cloud.sqs.destroy();
    cloud.s3.destroy();
    cloud.process.signal('SIGTERM');
    await cloud.process.exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
