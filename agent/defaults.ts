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
  /** Store and forward, bounded per data class (agent/outbox/classes.ts, docs/agent-outbox.md). */
  outbox: {
    /** QoS 1 publishes in flight while draining (TCP keeps them in order). */
    maxInFlight: 8,
    classes: {
      /** A day of batches for 3 sessions at 50 KB (864, 43 MB) fits; past it, the oldest batch goes. */
      analyzer: { maxMessages: 2_000, maxBytes: 48 * 1024 * 1024 },
      /** Past this backlog the queued reports collapse into one full report (a resync). */
      inventory: { maxMessages: 32, maxBytes: 2 * 1024 * 1024 },
      /** Never dropped: past this, a new result is refused (the command ends timed-out in the cloud). */
      'command-result': { maxMessages: 5_000, maxBytes: 8 * 1024 * 1024 },
      /** Policy requests and the like: the oldest goes first (the next request asks again). */
      other: { maxMessages: 200, maxBytes: 1024 * 1024 },
    },
    /** Sending from the outbox, live or replayed: well under IoT Core's 100 publishes/s per connection. */
    replay: {
      messagesPerSec: 20,
      bytesPerSec: 256 * 1024,
      /** A backlog waits 0..min(jitterMaxMs, queued × jitterPerQueuedMs) before replaying. */
      jitterMaxMs: 30_000,
      jitterPerQueuedMs: 100,
    },
  },
  /** Bound on the final outbox flush when the agent stops. */
  stopFlushTimeoutMs: 5_000,
  /** Recently seen command ids, so a redelivered command (QoS 1 is at-least-once) runs once. */
  commandDedupWindow: 256,
} as const;

export type AgentDefaults = typeof agentDefaults;
