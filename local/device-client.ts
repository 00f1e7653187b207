/**
 * An MQTT client that connects to the local broker as a device, with a certificate issued by the
 * dev CA — what tests and benchmarks use to speak for a device without running a whole agent.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { DevCa, IssuedCert } from './dev-ca.ts';

export interface DeviceClientTarget {
  readonly mqttUrl: string;
  readonly ca: DevCa;
}

export function connectDeviceClient(
  target: DeviceClientTarget,
  deviceId: string,
  cert: IssuedCert,
  options: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(target.mqttUrl, {
    clientId: deviceId,
    // aedes 1.x speaks MQTT 3.1.1, as IoT Core does for our agents.
    protocolVersion: 4,
    ca: target.ca.certPem,
    cert: cert.certPem,
    key: cert.keyPem,
    rejectUnauthorized: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
}
