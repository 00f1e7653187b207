import { offlineGraceSetting } from '#wiring/devices.ts';
import { numberFromEnv } from './env.ts';

/** How long after the last heartbeat/connect a device still counts as online (3 missed heartbeats). */
export const offlineGraceMs = (): number =>
  numberFromEnv(offlineGraceSetting.name, Number(offlineGraceSetting.default)) * 1000;
