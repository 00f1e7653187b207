/**
 * The local cloud's Lambda Invoke API, driven by the real @aws-sdk/client-lambda (what `fleetpulse dlq
 * replay` uses). Handlers are stubs: the subject is the emulation, not the handlers.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, stubHandlers, type TestCloud } from '../support/local-cloud.ts';

const received: unknown[] = [];
let t: TestCloud;
let lambda: LambdaClient;

const json = (payload: Uint8Array | undefined): unknown => JSON.parse(Buffer.from(payload ?? []).toString());
const invoke = (FunctionName: string, event: unknown, InvocationType?: 'Event' | 'DryRun') =>
  lambda.send(
    new InvokeCommand({
      FunctionName,
      Payload: Buffer.from(JSON.stringify(event)),
      ...(InvocationType ? { InvocationType } : {}),
    }),
  );

beforeAll(async () => {
  t = await startTestCloud({
    handlersOverride: stubHandlers({
      heartbeat: async (event: unknown) => {
        received.push(event);
        return { ok: true, echo: event };
      },
      presence: async () => {
        throw new TypeError('presence exploded');
      },
    }),
  });
  lambda = new LambdaClient({
    region: t.cloud.region,
    endpoint: t.endpoints.lambdaEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  await t?.cleanup();
});

describe('local Lambda Invoke API', () => {
  it('answers a RequestResponse invocation with the handler result', async () => {
    const res = await invoke('fleetpulse-heartbeat', { hello: 'world' });

    expect(res.StatusCode).toBe(200);
    expect(res.FunctionError).toBeUndefined();
    expect(res.ExecutedVersion).toBe('$LATEST');
    expect(json(res.Payload)).toEqual({ ok: true, echo: { hello: 'world' } });
  });

  it('reports a throwing handler as FunctionError Unhandled with errorType and errorMessage', async () => {
    const res = await invoke('fleetpulse-presence', {});

    expect(res.StatusCode).toBe(200);
    expect(res.FunctionError).toBe('Unhandled');
    expect(json(res.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'presence exploded' });
  });

  it('accepts the function ARN and $LATEST qualifier', async () => {
    const arn = `arn:aws:lambda:${t.cloud.region}:000000000000:function:fleetpulse-heartbeat:$LATEST`;

    const res = await invoke(arn, { via: 'arn' });

    expect(json(res.Payload)).toMatchObject({ echo: { via: 'arn' } });
  });

  it('answers an unknown function with ResourceNotFoundException', async () => {
    await expect(invoke('fleetpulse-nope', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(invoke('heartbeat', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('runs an Event invocation in the background and answers 202', async () => {
    const res = await invoke('fleetpulse-heartbeat', { async: 1 }, 'Event');
    await t.cloud.idle();

    expect(res.StatusCode).toBe(202);
    expect(received).toContainEqual({ async: 1 });
  });

  it('answers DryRun with 204 without running the handler', async () => {
    const before = received.length;

    const res = await invoke('fleetpulse-heartbeat', { dry: true }, 'DryRun');

    expect(res.StatusCode).toBe(204);
    expect(received).toHaveLength(before);
  });

  it('rejects a payload that is not JSON', async () => {
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: 'fleetpulse-heartbeat', Payload: Buffer.from('{nope') })),
    ).rejects.toMatchObject({ name: 'InvalidRequestContentException' });
  });
});
