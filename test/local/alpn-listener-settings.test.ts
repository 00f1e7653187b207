/**
 * How the 443-style listener is configured and announced: its ALPN choice, its port variable,
 * FLEETPULSE_MQTT_PORT=off, and the agent.json `fleetpulse devices register` writes for it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerLocal } from '#cli/register.ts';
import { selectAlpn } from '#local/alpn-listener.ts';
import { defaultMqttListeners, defaultPorts } from '#local/cloud.ts';
import { startUsage } from '#local/start-usage.ts';

describe('ALPN on the 443-style listener', () => {
  it.each([
    [['x-amzn-mqtt-ca'], 'x-amzn-mqtt-ca'],
    [['http/1.1', 'x-amzn-mqtt-ca'], 'x-amzn-mqtt-ca'],
    [['h2', 'http/1.1'], 'http/1.1'],
    [['mqtt'], undefined],
    [['h2'], undefined],
  ])('offered %j: selects %s (undefined refuses the handshake)', (offered, selected) => {
    expect(selectAlpn(offered)).toBe(selected);
  });
});

describe('local cloud settings', () => {
  it('takes the ALPN port from FLEETPULSE_MQTT_ALPN_PORT, 8443 by default', () => {
    expect(defaultPorts({}).mqttAlpn).toBe(8443);
    expect(defaultPorts({ FLEETPULSE_MQTT_ALPN_PORT: '42005' }).mqttAlpn).toBe(42005);
  });

  it('leaves out the 8883-style listener only with FLEETPULSE_MQTT_PORT=off', () => {
    expect(defaultMqttListeners({})).toBe('both');
    expect(defaultMqttListeners({ FLEETPULSE_MQTT_PORT: '0' })).toBe('both');
    expect(defaultMqttListeners({ FLEETPULSE_MQTT_PORT: 'off' })).toBe('alpn-only');
  });

  it('lists the ALPN port variable in npm start --help', () => {
    const usage = startUsage({ FLEETPULSE_MQTT_PORT: 'off', FLEETPULSE_MQTT_ALPN_PORT: '9443' });

    expect(usage).toMatch(/FLEETPULSE_MQTT_ALPN_PORT +MQTT with ALPN x-amzn-mqtt-ca .*\(now 9443\)/);
    expect(usage).toMatch(/FLEETPULSE_MQTT_PORT +.*\(now off\)/);
  });
});

describe('fleetpulse devices register against the local cloud', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function register(endpoints: Record<string, string>) {
    dir = await mkdtemp(join(tmpdir(), 'fleetpulse-register-'));
    const cloudDir = join(dir, 'cloud');
    await mkdir(cloudDir);
    await writeFile(
      join(cloudDir, 'endpoints.json'),
      JSON.stringify({ apiUrl: 'http://127.0.0.1:3000', apiToken: 't', ...endpoints }),
    );
    await registerLocal({
      deviceId: 'dev-reg-1',
      out: join(dir, 'device'),
      localCloudDir: cloudDir,
      region: 'local',
      force: false,
    });
    return JSON.parse(await readFile(join(dir, 'device', 'agent.json'), 'utf8')) as Record<string, unknown>;
  }

  it('keeps the 8883-style port and adds httpsPort: the ALPN port, where diagnose reads the clock', async () => {
    const config = await register({
      mqttUrl: 'mqtts://127.0.0.1:8883',
      mqttAlpnUrl: 'mqtts://127.0.0.1:8443',
    });

    expect(config).toMatchObject({ endpoint: '127.0.0.1', port: 8883, httpsPort: 8443 });
    expect(config.alpn).toBeUndefined();
  });

  it('asks for ALPN when the ALPN port is the only MQTT port', async () => {
    const config = await register({
      mqttUrl: 'mqtts://127.0.0.1:8443',
      mqttAlpnUrl: 'mqtts://127.0.0.1:8443',
    });

    expect(config).toMatchObject({ port: 8443, httpsPort: 8443, alpn: true });
  });

  it('writes no httpsPort for a cloud that predates the ALPN listener', async () => {
    const config = await register({ mqttUrl: 'mqtts://127.0.0.1:8883' });

    expect(config.port).toBe(8883);
    expect(config.httpsPort).toBeUndefined();
  });
});
