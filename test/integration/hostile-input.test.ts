/**
 * Hostile device data end to end: reports keyed `__proto__`/`constructor`/`prototype` at every depth,
 * and payloads nested far too deep, published over MQTT to the in-process local cloud (broker →
 * topic rule → SQS → report/heartbeat handlers → dynalite) and read back through the operator API.
 */
import { brotliCompressSync } from 'node:zlib';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters } from '#cli/dlq.ts';
import { encodeFramed, FRAME_MAGIC, FRAME_VERSION } from '#protocol/encoding.ts';
import type { Report } from '#protocol/inventory.ts';
import { createMergePatch } from '#protocol/merge-patch.ts';
import { topics } from '#protocol/topics.ts';
import { DeadLetterSchema } from '#wiring/rule-event.ts';
import { canonicalJson, expectPrototypeUntouched, hostileSection, obj } from '../support/hostile-keys.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';

let t: TestCloud;

async function api(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.endpoints.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
  });
  return { status: res.status, body: await res.json() };
}

const header = { schema: 1 as const, epoch: 'e1', agentVersion: '1.0.0', errors: [] };

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(async () => {
  await t?.cleanup();
});

describe('hostile keys through the local cloud', () => {
  it('stores __proto__, constructor and prototype keys and serves them back exactly', async () => {
    const id = 'hostile-keys-1';
    const device = await t.deviceClient(id);
    const full: Report = {
      ...header,
      kind: 'full',
      seq: 1,
      collectedAt: 1,
      sections: obj(['software', hostileSection(0)], ['users', obj(['__proto__', obj(['admin', true])])]),
    };
    await device.publishAsync(topics.report(id), encodeFramed(full), { qos: 1 });
    const first = await waitFor(
      async () => {
        const res = await api(`/devices/${id}/inventory`);
        return res.status === 200 && res.body.seq === 1 ? res.body : undefined;
      },
      { timeoutMs: 15_000, what: 'full report stored' },
    );
    expect(canonicalJson(first.sections)).toBe(canonicalJson(full.sections));
    expectPrototypeUntouched();

    const patch = createMergePatch(hostileSection(0), hostileSection(1));
    const diff: Report = {
      ...header,
      kind: 'diff',
      seq: 2,
      baseSeq: 1,
      collectedAt: 2,
      patches: obj(['software', patch], ['users', obj(['__proto__', null], ['constructor', obj(['a', 1])])]),
    };
    await device.publishAsync(topics.report(id), encodeFramed(diff), { qos: 1 });
    const second = await waitFor(
      async () => {
        const res = await api(`/devices/${id}/inventory`);
        return res.status === 200 && res.body.seq === 2 ? res.body : undefined;
      },
      { timeoutMs: 15_000, what: 'diff applied' },
    );
    expect(canonicalJson(second.sections.software)).toBe(canonicalJson(hostileSection(1)));
    expect(canonicalJson(second.sections.users)).toBe('{"constructor":{"a":1}}');

    const changes = await api(`/devices/${id}/inventory/changes`);
    expect(changes.status).toBe(200);
    expect(changes.body.changes[0].sections.users).toMatchObject({
      added: ['constructor'],
      removed: ['__proto__'],
    });
    expect(changes.body.changes[0].sections.software.changed).toContain('__proto__');

    // The rest of the API still works for everyone (a polluted prototype broke query parsing).
    const devices = await api('/devices?limit=10');
    expect(devices.status).toBe(200);
    expectPrototypeUntouched();
  });
});

describe('deeply nested input through the local cloud', () => {
  it('dead-letters it at once with the reason, never retries it', async () => {
    const id = 'deep-1';
    const device = await t.deviceClient(id);
    const deep = (depth: number) => `{"schema":1,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const frame = Buffer.concat([
      FRAME_MAGIC,
      Buffer.from([FRAME_VERSION, 1]),
      brotliCompressSync(Buffer.from(deep(100_000))),
    ]);
    await device.publishAsync(topics.report(id), frame, { qos: 1 });
    await device.publishAsync(topics.heartbeat(id), deep(5_000), { qos: 1 });

    const letters = await waitFor(
      async () => {
        const views = await listDeadLetters(t.aws.sqs, {
          queue: 'ingest',
          queueUrl: t.cloud.queues.ingestDeadLetter.url,
          max: 100,
        });
        const mine = views.map((v) => DeadLetterSchema.parse(v.body)).filter((l) => l.deviceId === id);
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 15_000, what: 'two dead letters' },
    );
    expect(letters.map((l) => [l.source, l.errorType, l.reason]).sort()).toEqual([
      ['heartbeat', 'DecodeError', expect.stringMatching(/nesting deeper than 64 levels/)],
      ['reports', 'DecodeError', expect.stringMatching(/nesting deeper than 64 levels/)],
    ]);
    await t.cloud.idle();
    // Acknowledged, not left for redelivery into the reports DLQ.
    for (const queue of [t.cloud.queues.reports, t.cloud.queues.reportsDeadLetter]) {
      const { Attributes: a } = await t.aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      expect([a?.ApproximateNumberOfMessages, a?.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '0']);
    }
  });
});
