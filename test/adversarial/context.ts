/**
 * What every kind gets: the running local cloud, fresh device ids and clients, the operator API, a
 * watch on the dead-letter queues, and the two witnesses the runner checks after every kind — a
 * control device that must still work and a victim device whose stored state must not move.
 */
import { request as httpRequest } from 'node:http';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { encodeFramed } from '#protocol/encoding.ts';
import { topics } from '#protocol/topics.ts';
import { type DeadLetter, DeadLetterSchema, RuleEventSchema } from '#wiring/rule-event.ts';
import type { DeviceClientOptions, TestCloud } from '../support/local-cloud.ts';
import { waitFor } from '../support/wait.ts';
import { fullReport, heartbeat, type Sections } from './messages.ts';

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export interface ApiRequest {
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** null: no Authorization header; a string: that bearer token. @default the cloud's token */
  readonly token?: string | null;
}

/** Dead letters seen so far, drained from both queues into memory. */
export class DeadLetterWatch {
  readonly entries: DeadLetter[] = [];
  /** Messages that reached the reports queue's redrive DLQ: retried away without a reason. */
  readonly redriven: { deviceId?: string; topic?: string }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();

  constructor(private readonly t: TestCloud) {}

  start(): void {
    const tick = (): void => {
      this.#polling = this.poll().finally(() => {
        if (this.#timer) this.#timer = setTimeout(tick, 150);
      });
    };
    this.#timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  private async drain(url: string, take: (body: string) => void): Promise<void> {
    const { sqs } = this.t.aws;
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    for (const message of res.Messages ?? []) {
      take(message.Body ?? '');
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    }
  }

  private async poll(): Promise<void> {
    try {
      const queues = this.t.cloud.queues;
      await this.drain(queues.ingestDeadLetter.url, (body) => {
        const parsed = DeadLetterSchema.safeParse(JSON.parse(body));
        if (parsed.success) this.entries.push(parsed.data);
      });
      await this.drain(queues.reportsDeadLetter.url, (body) => {
        const event = RuleEventSchema.safeParse(JSON.parse(body));
        const topic = event.success ? event.data.topic : undefined;
        this.redriven.push({ ...(topic ? { topic, deviceId: topic.split('/')[2] } : {}) });
      });
    } catch {
      // The cloud may be restarting (fault kinds); the next tick tries again.
    }
  }

  forDevice(deviceId: string): DeadLetter[] {
    return this.entries.filter((e) => e.deviceId === deviceId);
  }

  /** Waits for a dead letter of `deviceId` whose reason matches; fails fast if it was redriven instead. */
  async expect(deviceId: string, reason: RegExp, timeoutMs = 12_000): Promise<DeadLetter> {
    try {
      return await waitFor(
        () => {
          if (this.redriven.some((r) => r.deviceId === deviceId)) {
            throw new Error(`${deviceId}: landed in reports-dlq after retries, without a reason`);
          }
          return this.forDevice(deviceId).find((e) => reason.test(e.reason));
        },
        { timeoutMs, intervalMs: 100, what: `a dead letter for ${deviceId} with reason ${reason}` },
      );
    } catch (err) {
      // What arrived is read after the wait, not when it began (then it is always empty).
      const seen = JSON.stringify(this.forDevice(deviceId).map((e) => e.reason));
      throw new Error(`${(err as Error).message} (seen: ${seen})`);
    }
  }
}

export interface AdversarialContext {
  readonly t: TestCloud;
  readonly deadLetters: DeadLetterWatch;
  /** A device id no other kind uses. */
  id(prefix: string): string;
  /** A connected device client (no automatic reconnect). */
  device(deviceId: string, options?: DeviceClientOptions): Promise<MqttClient>;
  api(path: string, request?: ApiRequest): Promise<ApiAnswer>;
  /** Sends a full report for `deviceId` and waits until the API serves exactly `sections`. */
  seedInventory(deviceId: string, sections: Sections, seq?: number): Promise<void>;
  readonly victimId: string;
  readonly controlId: string;
}

/** One API request over node:http (fetch refuses a body on GET, which is what some kinds send). */
export function api(
  t: Pick<TestCloud, 'endpoints'>,
  path: string,
  request: ApiRequest = {},
): Promise<ApiAnswer> {
  const token = request.token === undefined ? t.endpoints.apiToken : request.token;
  const url = new URL(path, t.endpoints.apiUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: request.method ?? 'GET',
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(request.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(request.body)) }),
          ...request.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: kept as text
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    // The server may answer (413) and close before the whole body is sent: the answer is what counts.
    req.on('error', (err) =>
      req.destroyed && (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err),
    );
    req.end(request.body);
  });
}

export async function createContext(t: TestCloud): Promise<AdversarialContext> {
  let counter = 0;
  const run = Date.now().toString(36);
  const deadLetters = new DeadLetterWatch(t);
  deadLetters.start();

  const ctx: AdversarialContext = {
    t,
    deadLetters,
    id: (prefix) => `${prefix}-${run}-${++counter}`.slice(0, 128),
    device: (deviceId, options) => t.deviceClient(deviceId, options),
    api: (path, request) => api(t, path, request),
    async seedInventory(deviceId, sections, seq = 1) {
      const client = await t.deviceClient(deviceId);
      await client.publishAsync(
        topics.report(deviceId),
        encodeFramed(fullReport(sections, { epoch: `e-${deviceId}`, seq })),
        { qos: 1 },
      );
      await client.endAsync();
      await waitFor(
        async () => {
          const answer = await api(t, `/devices/${deviceId}/inventory`);
          return answer.status === 200 && (answer.body as { seq?: number }).seq === seq;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: `inventory of ${deviceId} at seq ${seq}` },
      );
    },
    victimId: `victim-${run}`,
    controlId: `control-${run}`,
  };
  await ctx.seedInventory(ctx.victimId, VICTIM_SECTIONS);
  return ctx;
}

export const VICTIM_SECTIONS: Sections = {
  os: { name: 'Windows 11', build: '22631' },
  software: { 'pkg-1': { name: 'firefox', version: '120.0' } },
};

/** The victim's stored inventory is still exactly what it sent; fails otherwise. */
export async function assertVictimUntouched(ctx: AdversarialContext): Promise<void> {
  const answer = await ctx.api(`/devices/${ctx.victimId}/inventory`);
  expect(answer.status, 'victim inventory readable').toBe(200);
  expect((answer.body as { sections: unknown }).sections, 'victim inventory unchanged').toEqual(
    VICTIM_SECTIONS,
  );
}

/** A control device can still connect, heartbeat and be seen through the API. */
export async function assertControlWorks(ctx: AdversarialContext): Promise<void> {
  const client = await ctx.device(ctx.controlId);
  const sentAt = Date.now();
  await client.publishAsync(topics.heartbeat(ctx.controlId), JSON.stringify(heartbeat({ sentAt })), {
    qos: 1,
  });
  await client.endAsync();
  await waitFor(
    async () => {
      const answer = await ctx.api(`/devices/${ctx.controlId}`);
      const seen = (answer.body as { lastHeartbeatAt?: number }).lastHeartbeatAt ?? 0;
      return answer.status === 200 && seen >= sentAt - 1000;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'the control device heartbeat to show in the API' },
  );
}
