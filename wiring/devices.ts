/** The device registry: one record per device, written by presence and heartbeat, read by the API. */
import type { Feature } from './feature.ts';
import type { SettingSpec } from './functions.ts';

/** Read by whatever decides online/offline from the device record. */
export const offlineGraceSetting = {
  name: 'OFFLINE_GRACE_SEC',
  default: '180',
  doc: 'Seconds after the last heartbeat or connect a device still counts as online (three missed 60 s heartbeats).',
} as const satisfies SettingSpec;

export const devices = {
  name: 'devices',
  tables: {
    /** One item per device: identity, presence, last heartbeat. */
    devices: { partitionKey: 'deviceId', envVar: 'DEVICES_TABLE', localName: 'fleetpulse-devices' },
  },
} as const satisfies Feature;
