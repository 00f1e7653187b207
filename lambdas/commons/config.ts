import { numberFromEnv } from './env.ts';

/** How long after the last heartbeat/connect a device still counts as online (3 missed heartbeats). */
export const offlineGraceMs = (): number => numberFromEnv('OFFLINE_GRACE_SEC', 180) * 1000;
