/** The heartbeat a device sends every interval: liveness, versions, sessions and connectivity. */
import * as z from 'zod';
import { EpochMsSchema, SessionIdSchema } from './ids.ts';

export const TransportSchema = z.enum(['mqtts', 'mqtts-alpn-443', 'wss']);

export const ProxySourceSchema = z.enum(['config', 'policy', 'pac', 'env']);

export const PathFailureSchema = z.object({
  path: z.string().max(600),
  reason: z.string().max(1024),
});

export const ConnectivitySchema = z.object({
  transport: TransportSchema,
  /** Port actually used (8883, or 443 with ALPN x-amzn-mqtt-ca). */
  port: z.number().int().min(1).max(65535),
  /** Proxy URL (no credentials) the connection goes through; null when direct. */
  proxy: z.string().max(512).nullable(),
  /** Round-trip time of the last MQTT ping, when known. */
  rttMs: z.number().nonnegative().nullable(),
  /** Where the proxy in use came from: agent.json, the policy, a PAC file, or HTTPS_PROXY. */
  proxySource: ProxySourceSchema.optional(),
  /**
   * Why each path tried before the one in use failed, at the last (re)connect: `path` is
   * `direct` or `proxy http://host:port` (never credentials), `reason` the named failure.
   */
  pathFailures: z.array(PathFailureSchema).max(17).optional(),
  /**
   * The latest TLS interception seen on any path since the agent started, as logged:
   * `TLS interception on <path>: the certificate for <endpoint> was issued by "<issuer>"; exempt
   * <endpoint> from SSL inspection`. Reported once reconnected by another path.
   */
  interception: z.string().max(1024).optional(),
});

/**
 * The store-and-forward outbox: what waits on disk, and what its per-class bounds cost. Counters are
 * cumulative since the agent's data folder was created (persisted), so a reboot does not hide them.
 */
export const OutboxStatusSchema = z.object({
  queued: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** Analyzer batches dropped, oldest first, because the analyzer share of the outbox was full. */
  analyzerBatchesDropped: z.number().int().nonnegative(),
  /** Times a backlog of queued inventory reports was replaced by one full report. */
  inventoryCollapses: z.number().int().nonnegative(),
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
  /** Absent on agents that predate it. */
  outbox: OutboxStatusSchema.optional(),
  platform: z.enum(['linux', 'windows', 'darwin', 'other']).optional(),
  hostname: z.string().max(256).optional(),
  /** Absent on agents without the analyzer. */
  analyzer: AnalyzerStatusSchema.optional(),
  sentAt: EpochMsSchema,
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
export type Connectivity = z.infer<typeof ConnectivitySchema>;
export type OutboxStatus = z.infer<typeof OutboxStatusSchema>;
export type PathFailure = z.infer<typeof PathFailureSchema>;
export type UserSession = z.infer<typeof UserSessionSchema>;
export type AnalyzerStatus = z.infer<typeof AnalyzerStatusSchema>;
