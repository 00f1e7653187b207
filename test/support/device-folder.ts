/**
 * A device folder for the test cloud, as `fleetpulse devices register` writes one: cert.pem and
 * key.pem issued by the cloud's dev CA, and agent.json's fields (endpoint 127.0.0.1, paths relative
 * to the folder) with the caller's port and extras. Tests then parse it in-process or write it out
 * for an agent process.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentConfigInput } from '#agent/config.ts';
import type { TestCloud } from './local-cloud.ts';

export interface DeviceFolder {
  readonly dir: string;
  /** agent.json's content; paths are relative to `dir`. */
  readonly config: AgentConfigInput;
  /** Writes agent.json into the folder and returns its path. */
  writeAgentJson(): Promise<string>;
}

export async function deviceFolder(
  t: Pick<TestCloud, 'deviceCert' | 'endpoints'>,
  parent: string,
  deviceId: string,
  settings: { readonly port: number } & Partial<AgentConfigInput>,
): Promise<DeviceFolder> {
  const cert = await t.deviceCert(deviceId);
  const dir = join(parent, deviceId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'cert.pem'), cert.certPem);
  await writeFile(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  const config: AgentConfigInput = {
    deviceId,
    region: 'local',
    endpoint: '127.0.0.1',
    certPath: 'cert.pem',
    keyPath: 'key.pem',
    caPath: t.endpoints.caCertPath,
    dataDir: 'data',
    ...settings,
  };
  return {
    dir,
    config,
    writeAgentJson: async () => {
      const path = join(dir, 'agent.json');
      await writeFile(path, JSON.stringify(config));
      return path;
    },
  };
}
