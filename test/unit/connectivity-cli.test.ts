import { describe, expect, it } from 'vitest';
import { connectivityLines, outboxLine } from '#cli/connectivity-format.ts';

describe('the path a device uses, as `fleetpulse devices get` prints it', () => {
  it('shows the proxy, where it came from, the transport, port and RTT', () => {
    const lines = connectivityLines({
      transport: 'mqtts-alpn-443',
      port: 443,
      proxy: 'http://p2.corp:3128',
      rttMs: 41.5,
      proxySource: 'policy',
    });

    expect(lines).toEqual([
      'path: proxy http://p2.corp:3128 (from policy), mqtts-alpn-443 on port 443, RTT 41.5ms',
    ]);
  });

  it('lists the paths that failed before it and the interception seen', () => {
    const interception =
      'TLS interception on proxy http://p1.corp:3128: the certificate for iot.example was issued by "Corp CA"; exempt iot.example from SSL inspection';

    const lines = connectivityLines({
      transport: 'mqtts',
      port: 8883,
      proxy: null,
      rttMs: null,
      pathFailures: [{ path: 'proxy http://p1.corp:3128', reason: interception }],
      interception,
    });

    expect(lines).toEqual([
      'path: direct, mqtts on port 8883',
      'path failures at the last connect:',
      `  proxy http://p1.corp:3128: ${interception}`,
      `interception: ${interception}`,
    ]);
  });

  it('says nothing it cannot read', () => {
    expect(connectivityLines({ transport: 'carrier-pigeon' })).toEqual(['path: -']);
  });
});

describe('the outbox line of devices get', () => {
  it('shows what is queued and what the bounds cost since install', () => {
    expect(
      outboxLine({ queued: 12, bytes: 348_160, analyzerBatchesDropped: 503, inventoryCollapses: 6 }),
    ).toBe(
      'outbox: 12 queued (340 KiB); since install 503 analyzer batches dropped, 6 inventory backlogs collapsed',
    );
  });

  it('says nothing it cannot read', () => {
    expect(outboxLine({ queued: -1 })).toBe('outbox: -');
  });
});
