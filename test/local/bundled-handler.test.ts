/**
 * The handler bundle as CDK deploys it (lib/bundling.ts: env-only credentials, no X-Ray SDK), run
 * against the local cloud: the source handlers the other tests run do not exercise what the
 * bundling swaps in, so a bundle that cannot sign a request or load its middleware fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLambdaContext } from '#local/lambda-context.ts';
import { HeartbeatSchema } from '#protocol/heartbeat.ts';
import { functions } from '#wiring/fleet.ts';
import { buildRuleEvent } from '#wiring/rule-event.ts';
import { buildHandlerBundle, handlerEntries } from '../../bench/bundle-sizes.ts';
import { startTestCloud, type TestCloud } from '../support/local-cloud.ts';

let t: TestCloud;
const outDir = mkdtempSync(join(tmpdir(), 'fleetpulse-bundled-handler-'));

beforeAll(async () => {
  // The cloud puts the handlers' environment (endpoints, table names, dummy credentials) in process.env.
  t = await startTestCloud();
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  rmSync(outDir, { recursive: true, force: true });
});

describe('a bundled handler', () => {
  it('records a heartbeat through the bundled SDK clients', { timeout: 60_000 }, async () => {
    const spec = handlerEntries().find((h) => h.name === 'heartbeat');
    if (!spec) throw new Error('the wiring has no heartbeat function');
    const bundle = await buildHandlerBundle(spec, outDir);
    const { handler } = (await import(pathToFileURL(bundle.file).href)) as {
      handler: (event: unknown, context: Context) => Promise<unknown>;
    };
    const deviceId = 'bundled-hb-1';
    const heartbeat = HeartbeatSchema.parse({
      schema: 1,
      agentVersion: '7.7.7',
      uptimeSec: 5,
      reportSeq: 0,
      policyVersion: 0,
      sessions: [],
      connectivity: { transport: 'mqtts', port: 8883, proxy: null, rttMs: 3 },
      platform: 'linux',
      sentAt: Date.now(),
    });
    const event = buildRuleEvent({
      payload: Buffer.from(JSON.stringify(heartbeat)),
      topic: `dt/fleet/${deviceId}/heartbeat`,
      clientId: deviceId,
      sourceIp: '203.0.113.9',
      receivedAt: Date.now(),
    });

    await handler(event, buildLambdaContext('heartbeat', functions.heartbeat, 'eu-west-1'));

    const res = await fetch(`${t.endpoints.apiUrl}/devices/${deviceId}`, {
      headers: { authorization: `Bearer ${t.endpoints.apiToken}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ deviceId, agentVersion: '7.7.7', sourceIp: '203.0.113.9' });
  });
});
