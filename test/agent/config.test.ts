import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig, parseAgentConfig } from '#agent/config.ts';

const valid = () => ({
  deviceId: 'dev-001',
  region: 'eu-west-1',
  endpoint: 'abc123-ats.iot.eu-west-1.amazonaws.com',
  certPath: 'cert.pem',
  keyPath: 'key.pem',
  dataDir: 'data',
});

describe('agent.json parsing', () => {
  it('fills defaults and resolves relative paths against the config folder', () => {
    const config = parseAgentConfig(valid(), '/etc/fleetpulse');

    expect(config).toMatchObject({
      port: 8883,
      logLevel: 'info',
      certPath: '/etc/fleetpulse/cert.pem',
      keyPath: '/etc/fleetpulse/key.pem',
      dataDir: '/etc/fleetpulse/data',
    });
    expect(config.caPath).toBeUndefined();
  });

  it('keeps absolute paths and an explicit CA, port, heartbeat override and proxies', () => {
    const config = parseAgentConfig(
      {
        ...valid(),
        endpoint: '127.0.0.1',
        port: 443,
        caPath: '/opt/ca.pem',
        heartbeatIntervalSec: 5,
        proxies: [{ url: 'http://proxy.corp:3128', user: 'svc', passwordB64: 'cGFzcw==' }],
      },
      '/x',
    );

    expect(config).toMatchObject({ port: 443, caPath: '/opt/ca.pem', heartbeatIntervalSec: 5 });
    expect(config.proxies).toHaveLength(1);
  });

  it.each([
    ['a device id that is not a thing name', { deviceId: 'bad id!' }, 'deviceId'],
    ['an endpoint with a scheme', { endpoint: 'mqtts://host:8883' }, 'endpoint'],
    ['a port out of range', { port: 70000 }, 'port'],
    ['an unknown key (typo)', { endpiont: 'x' }, 'endpiont'],
    ['a proxy that is not http://host:port', { proxies: [{ url: 'socks5://p:1080' }] }, 'proxies.0.url'],
  ])('rejects %s, naming the field', (_name, patch, field) => {
    expect(() => parseAgentConfig({ ...valid(), ...patch }, '/x')).toThrow(ConfigError);
    expect(() => parseAgentConfig({ ...valid(), ...patch }, '/x')).toThrow(field);
  });

  it('reports every missing required field at once', () => {
    const error = (() => {
      try {
        parseAgentConfig({ deviceId: 'd' }, '/x');
      } catch (err) {
        return err as Error;
      }
    })();

    for (const field of ['region', 'endpoint', 'certPath', 'keyPath', 'dataDir'])
      expect(error?.message).toContain(field);
  });

  describe('from a file', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fleetpulse-config-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('resolves paths against the file folder', async () => {
      await writeFile(join(dir, 'agent.json'), JSON.stringify(valid()));

      const config = await loadAgentConfig(join(dir, 'agent.json'));

      expect(config.certPath).toBe(join(dir, 'cert.pem'));
    });

    it('says when the file is not JSON', async () => {
      await writeFile(join(dir, 'agent.json'), '{ deviceId: ');

      await expect(loadAgentConfig(join(dir, 'agent.json'))).rejects.toThrow(/not valid JSON/);
    });

    it('says when the file is missing', async () => {
      await expect(loadAgentConfig(join(dir, 'nope.json'))).rejects.toThrow(/cannot read/);
    });
  });
});
