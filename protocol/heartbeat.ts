/** The heartbeat a device sends every interval: liveness, versions, sessions and connectivity. */
import * as z from 'zod';
import { EpochMsSchema, SessionIdSchema } from './ids.ts';

export const TransportSchema = z.enum(['mqtts', 'mqtts-alpn-443', 'wss']);

export const ConnectivitySchema = z.object({
  transport: TransportSchema,
  /** Port actually used (8883, or 443 with ALPN x-amzn-mqtt-ca). */
  port: z.number().int().min(1).max(65535),
  /** Proxy URL (no credentials) the connection goes through; null when direct. */
  proxy: z.string().max(512).nullable(),
  /** Round-trip time of the last MQTT ping, when known. */
  rttMs: z.number().nonnegative().nullable(),
});

export const UserSessionSchema = z.object({
  id: SessionIdSchema,
  user: z.string().max(256),
  state: z.enum(['active', 'idle', 'locked', 'disconnected']),
  startedAt: EpochMsSchema.optional(),
});

/** How the agent's analyzers fare: running sessions, failures (each restarted with backoff). */
export const AnalyzerStatusSchema = z.object({
  sessions: z.number().int().nonnegative(),
  /** Analyzer failures since the agent started. */
  restarts: z.number().int().nonnegative(),
  lastError: z.string().max(256).optional(),
  /** The machine has no session source (no logind, no WTS): nothing to analyze. */
  noSessionSource: z.literal(true).optional(),
});

export const HeartbeatSchema = z.object({
  schema: z.literal(1),
  agentVersion: z.string().min(1).max(64),
  uptimeSec: z.number().nonnegative(),
  /** Sequence of the last inventory report the agent published. */
  reportSeq: z.number().int().nonnegative(),
  /** Epoch of the agent's report sequence (see inventory.ts); absent before the first report. */
  reportEpoch: z.string().min(1).max(64).optional(),
  /** Version of the policy the agent currently runs (0 = built-in defaults). */
  policyVersion: z.number().int().nonnegative(),
  sessions: z.array(UserSessionSchema).max(256),
  connectivity: ConnectivitySchema,
  platform: z.enum(['linux', 'windows', 'darwin', 'other']).optional(),
  hostname: z.string().max(256).optional(),
  /** Absent on agents without the analyzer. */
  analyzer: AnalyzerStatusSchema.optional(),
  sentAt: EpochMsSchema,
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
export type Connectivity = z.infer<typeof ConnectivitySchema>;
export type UserSession = z.infer<typeof UserSessionSchema>;
export type AnalyzerStatus = z.infer<typeof AnalyzerStatusSchema>;
