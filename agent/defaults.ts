/**
 * Every tunable of the agent core, in one object. Config and policy override some of these;
 * the rest are engineering limits that tests may shrink.
 */
export const agentDefaults = {
  /** MQTT over TLS; 443 switches to ALPN `x-amzn-mqtt-ca`. */
  port: 8883,
  /** HTTPS on the endpoint (AWS IoT answers it on 443 without ALPN): diagnose reads its clock there. */
  httpsPort: 443,
  logLevel: 'info' as const,
  /** Publish through Basic Ingest topics (no IoT Core messaging charge for device → rule traffic). */
  basicIngest: true,
  /** Heartbeat interval when neither config nor policy says otherwise (policy default is the same). */
  heartbeatIntervalSec: 60,
  connection: {
    /** MQTT keepalive; AWS IoT accepts 30–1200 s. */
    keepaliveSec: 60,
    /** Bound on TCP + TLS + CONNECT/CONNACK for one attempt. */
    connectTimeoutMs: 15_000,
    /** Bound on the SUBACK for the command topic after each connect. */
    subscribeTimeoutMs: 10_000,
    /** Bound on a single QoS 1 PUBACK. */
    publishTimeoutMs: 15_000,
    /** Reconnect backoff: exponential from base to max, with jitter. */
    backoff: { baseMs: 1_000, maxMs: 120_000, jitter: 0.5 },
    /** Bound on a clean DISCONNECT at shutdown. */
    disconnectTimeoutMs: 3_000,
    /** While connected through a later path, how often the earlier (preferred) paths are probed. */
    preferredReprobeMs: 300_000,
  },
  outbox: {
    /** Queued messages kept while offline; the oldest go first when full. */
    maxMessages: 10_000,
    /** 64 MiB: about a day of analyzer batches for a few sessions. */
    maxBytes: 64 * 1024 * 1024,
    /** QoS 1 publishes in flight while draining (TCP keeps them in order). */
    maxInFlight: 8,
  },
  /** Bound on the final outbox flush when the agent stops. */
  stopFlushTimeoutMs: 5_000,
  /** Recently seen command ids, so a redelivered command (QoS 1 is at-least-once) runs once. */
  commandDedupWindow: 256,
} as const;

export type AgentDefaults = typeof agentDefaults;
