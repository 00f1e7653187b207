import type { IClientOptions } from 'mqtt';
import { describe, expect, it, vi } from 'vitest';
import { Connection, type ConnectionOptions } from '#agent/connection.ts';
import { silentLogger } from '#agent/logger.ts';
import {
  AWS_IOT_ALPN,
  type ProxySettings,
  proxySettingsOf,
  selectTransport,
} from '#agent/transport/index.ts';

const identity = { cert: 'CERT', key: 'KEY', ca: 'CA' };
const proxy: ProxySettings = {
  url: 'http://proxy.corp:3128',
  credentials: { user: 'svc', password: 'secret' },
  connectTimeoutMs: 5_000,
};

describe('transport selection', () => {
  it('goes straight to 8883 over TLS with no ALPN, named direct', () => {
    const transport = selectTransport({ endpoint: { host: 'iot.example', port: 8883 }, identity });

    expect(transport).toMatchObject({ kind: 'mqtts', proxy: null, path: 'direct' });
    expect(transport.alpn).toBeUndefined();
  });

  it('asks for ALPN x-amzn-mqtt-ca on 443', () => {
    const transport = selectTransport({ endpoint: { host: 'iot.example', port: 443 }, identity });

    expect(transport).toMatchObject({ kind: 'mqtts-alpn-443', alpn: AWS_IOT_ALPN });
  });

  it.each([
    [8883, 'mqtts', undefined],
    [443, 'mqtts-alpn-443', AWS_IOT_ALPN],
  ] as const)(
    'tunnels the TLS transport of port %i through a proxy, reporting the proxy URL',
    (port, kind, alpn) => {
      const transport = selectTransport({ endpoint: { host: 'iot.example', port }, identity, proxy });

      expect(transport).toMatchObject({
        kind,
        proxy: 'http://proxy.corp:3128',
        path: 'proxy http://proxy.corp:3128',
      });
      expect(transport.alpn).toBe(alpn);
    },
  );
});

describe('proxy settings from agent.json', () => {
  it('decodes the base64 password and keeps the timeout', () => {
    const settings = proxySettingsOf(
      { url: 'http://proxy:8080', user: 'svc', passwordB64: Buffer.from('pä55').toString('base64') },
      7_000,
    );

    expect(settings).toEqual({
      url: 'http://proxy:8080',
      credentials: { user: 'svc', password: 'pä55' },
      connectTimeoutMs: 7_000,
    });
  });

  it('sends no credentials when the proxy has no user', () => {
    expect(proxySettingsOf({ url: 'http://proxy:8080' }, 7_000)).toEqual({
      url: 'http://proxy:8080',
      connectTimeoutMs: 7_000,
    });
  });
});

describe('the connection picks its transport', () => {
  function connectionTo(port: number, overrides: Partial<ConnectionOptions> = {}) {
    return new Connection({
      clientId: 'dev-1',
      endpoint: { host: 'iot.example', port },
      identity,
      commandTopic: 'cmd/fleet/dev-1',
      keepaliveSec: 60,
      connectTimeoutMs: 5_000,
      subscribeTimeoutMs: 5_000,
      publishTimeoutMs: 5_000,
      disconnectTimeoutMs: 1_000,
      backoff: { baseMs: 60_000, maxMs: 60_000, jitter: 0 },
      logger: silentLogger,
      ...overrides,
    });
  }

  it('hands mqtt.js the persistent-session options, with TCP and TLS left to the transport', async () => {
    const seen: IClientOptions[] = [];
    const connection = connectionTo(443, {
      createClient: (options) => {
        seen.push(options);
        throw new Error('stop here');
      },
    });

    connection.start();
    await connection.stop();

    expect(connection.transport.kind).toBe('mqtts-alpn-443');
    expect(seen[0]).toMatchObject({ clientId: 'dev-1', clean: false, reconnectPeriod: 0 });
    expect(seen[0]).not.toHaveProperty('host');
  });

  it('reports the direct path before any connect, with no source and no failures', () => {
    const connection = connectionTo(8883);

    expect(connection.connectivity()).toEqual({ transport: 'mqtts', port: 8883, proxy: null, rttMs: null });
  });

  it('retries after the backoff, like any failed attempt', async () => {
    vi.useFakeTimers();
    try {
      let attempts = 0;
      const connection = connectionTo(8883, {
        createClient: () => {
          attempts += 1;
          throw new Error('refused');
        },
      });
      connection.on('failed', () => undefined);

      connection.start();
      expect(connection.state).toBe('waiting');
      await vi.advanceTimersByTimeAsync(60_000);

      expect(attempts).toBe(2);
      await connection.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
