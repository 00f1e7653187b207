/** Messages between the local cloud (local/fleet.ts) and its simulated-fleet child process. */

export interface FleetSettings {
  readonly count: number;
  readonly mqttUrl: string;
  /** The broker's only MQTT port is the 443-style one: the agents ask for ALPN x-amzn-mqtt-ca. */
  readonly alpn?: boolean;
  readonly caCertPath: string;
  /** The dev CA's directory: the child issues missing device identities itself. */
  readonly caDir: string;
  readonly identityDir: string;
  readonly inventoryIntervalMs: number;
  readonly heartbeatIntervalSec: number;
  /** The simulated analyzers' intervals (short, so sessions show up within a minute); absent: no analyzer. */
  readonly analyzer?: { readonly sampleIntervalSec: number; readonly uploadIntervalSec: number };
  readonly log: 'silent' | 'info';
  /** The last N devices power off after their first report, until a wake-relay names them. */
  readonly poweredOff?: number;
}

export type ToFleet =
  | { readonly kind: 'start'; readonly settings: FleetSettings }
  | { readonly kind: 'stop' };

export type FromFleet =
  | { readonly kind: 'started'; readonly deviceIds: string[]; readonly online: number }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'failed'; readonly message: string };
