/**
 * The MQTT connection's lifecycle: connect with the device's X.509 identity, subscribe to the
 * command topic, report what happened as explicit events, and come back with jittered exponential
 * backoff. Each attempt uses a fresh mqtt.js client (reconnectPeriod 0) so nothing is retried
 * behind our back: the outbox owns redelivery. Every wait is bounded by a timeout.
 *
 * Events: connecting → connected | failed; connected → disconnected. Then connecting again,
 * until stop(). An attempt tries the ordered paths (transport/paths.ts) from the top: `failed` is
 * emitted for each path that fails, with `next` (tried at once) or null (every path failed: backoff).
 */
import { EventEmitter, once } from 'node:events';
import { type IClientOptions, MqttClient, type Packet } from 'mqtt';
import type { Connectivity } from '#protocol/heartbeat.ts';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { type ConnectFailure, describeConnectFailure } from './failure.ts';
import type { AgentLogger } from './module.ts';
import { type Endpoint, selectTransport, type TlsIdentity, type Transport } from './transport/index.ts';
import { PathChooser, type PathSource } from './transport/path-choice.ts';
import { DIRECT_PATH } from './transport/paths.ts';

export interface ConnectionOptions {
  readonly clientId: string;
  readonly endpoint: Endpoint;
  readonly identity: TlsIdentity;
  /**
   * The ordered paths (proxies, then direct), asked again at every connect and re-probe.
   * @default direct only
   */
  readonly paths?: PathSource;
  /** While on a later path, how often the earlier (preferred) ones are probed. @default 300_000 */
  readonly preferredReprobeMs?: number;
  /** Ask for ALPN x-amzn-mqtt-ca. @default only on port 443 */
  readonly alpn?: boolean;
  /** Subscribed with QoS 1 after every connect, before `connected` is emitted. */
  readonly commandTopic: string;
  readonly keepaliveSec: number;
  readonly connectTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly disconnectTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly logger: AgentLogger;
  readonly random?: () => number;
  /** A connection that stays up this long resets the backoff. @default 30_000 */
  readonly stableAfterMs?: number;
  /** Maps a device topic to the topic it is published on (Basic Ingest). @default identity */
  readonly wireTopic?: (topic: string) => string;
  /** For tests: creates the mqtt.js client from the session options, bypassing the transport. */
  readonly createClient?: (options: IClientOptions) => MqttClient;
}

export interface ConnectionEvents {
  connecting: [{ attempt: number }];
  connected: [{ attempt: number; sessionPresent: boolean }];
  /**
   * One path failed. `next` is the path tried at once (retryInMs 0), or null when every path of
   * this attempt failed and the next attempt starts from the top after `retryInMs`.
   */
  failed: [
    { attempt: number; path: string; failure: ConnectFailure; retryInMs: number; next: string | null },
  ];
  disconnected: [{ reason: string; retryInMs: number | null }];
  message: [topic: string, payload: Buffer];
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
}
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Races a promise against a timer; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Detaches from a client for good; late socket errors must not become unhandled 'error' events. */
function retire(client: MqttClient): void {
  client.removeAllListeners();
  client.on('error', () => undefined);
  client.end(true);
}

interface PendingPublish {
  reject(err: Error): void;
}

export class Connection extends EventEmitter<ConnectionEvents> {
  private stateValue: ConnectionState = 'idle';
  private client: MqttClient | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private attempts = 0;
  private connectedAt = 0;
  private lastError: unknown;
  private readonly pending = new Set<PendingPublish>();
  private rtt: number | null = null;
  /** Set while ending a working connection to move to a preferred path. */
  private movingReason: string | undefined;
  private readonly chooser: PathChooser;

  constructor(private readonly options: ConnectionOptions) {
    super();
    const describe = (err: unknown) => describeConnectFailure(err, options.endpoint);
    this.chooser = new PathChooser({
      source: options.paths ?? { plan: async () => ({ paths: [DIRECT_PATH], skipped: [] }) },
      transportFor: (path) =>
        selectTransport({
          endpoint: options.endpoint,
          identity: options.identity,
          ...(path.proxy === undefined ? {} : { proxy: path.proxy }),
          ...(options.alpn === undefined ? {} : { alpn: options.alpn }),
        }),
      openTimeoutMs: options.connectTimeoutMs,
      reprobeMs: options.preferredReprobeMs ?? 300_000,
      describe: (err) => describe(err).reason,
      onPathFailed: (path, err, next) =>
        this.emit('failed', {
          attempt: this.attempts,
          path: path.name,
          failure: describe(err),
          retryInMs: 0,
          next: next.name,
        }),
      onSkipped: (skipped) => options.logger.warn('proxy path skipped', { ...skipped }),
      onMoveBack: (reason) => this.moveBack(reason),
      onProbe: (path, outcome) => {
        if (outcome.startsWith('TLS interception'))
          options.logger.error('TLS interception', { path: path.name, reason: outcome });
        else options.logger.debug('preferred path probed', { path: path.name, outcome });
      },
    });
  }

  /** How this connection reaches the endpoint: the path in use, or the last one tried. */
  get transport(): Transport {
    return this.chooser.transport();
  }

  /** The path in use as the heartbeat reports it. */
  connectivity(): Connectivity {
    const transport = this.chooser.transport();
    const { source } = this.chooser.path();
    const failures = this.chooser.failures();
    const interception = this.chooser.interception();
    return {
      transport: transport.kind,
      port: transport.endpoint.port,
      proxy: transport.proxy,
      rttMs: this.rtt,
      ...(source === undefined ? {} : { proxySource: source }),
      ...(failures.length === 0 ? {} : { pathFailures: failures.slice(0, 17) }),
      ...(interception === undefined ? {} : { interception }),
    };
  }

  /** Re-reads the paths now (after a policy change): moves when a preferred one works or the one in use is gone. */
  reconsiderPaths(): void {
    if (this.isConnected()) this.chooser.reprobeNow();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  isConnected(): boolean {
    return this.stateValue === 'connected';
  }

  /** Round trip of the last CONNECT→CONNACK, PINGREQ→PINGRESP or PUBLISH→PUBACK; null before any. */
  rttMs(): number | null {
    return this.rtt;
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.attempt();
  }

  /** Resolves at the next connect; rejects after `timeoutMs` or when stopped. */
  async waitConnected(timeoutMs: number): Promise<void> {
    if (this.isConnected()) return;
    // The listener goes with the wait: a timed-out wait must not stay registered for good.
    const done = new AbortController();
    try {
      await withTimeout(
        once(this, 'connected', { signal: done.signal }),
        timeoutMs,
        'waiting for the MQTT connection',
      );
    } finally {
      done.abort();
    }
  }

  /**
   * Resolves when the current connection goes away (immediately when not connected), or never once
   * `signal` aborts: the caller aborts when it stops waiting, which removes the listener. Without
   * that, every QoS 1 publish left one 'disconnected' listener behind until the next disconnect.
   */
  untilDisconnected(signal: AbortSignal): Promise<void> {
    if (!this.isConnected()) return Promise.resolve();
    return once(this, 'disconnected', { signal }).then(
      () => undefined,
      // Aborted: the caller is no longer waiting, and nothing awaits this promise any more.
      () => new Promise<void>(() => undefined),
    );
  }

  /** Publishes on the live connection; resolves on PUBACK (QoS 1) or once written (QoS 0). */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    const client = this.client;
    if (!this.isConnected() || client === undefined) {
      return Promise.reject(new NotConnectedError(`not connected; cannot publish to ${topic}`));
    }
    return new Promise<void>((resolve, reject) => {
      const entry: PendingPublish = {
        reject: (err) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          reject(err);
        },
      };
      const timer = setTimeout(
        () =>
          entry.reject(new TimeoutError(`no PUBACK for ${topic} within ${this.options.publishTimeoutMs} ms`)),
        this.options.publishTimeoutMs,
      );
      this.pending.add(entry);
      client.publish(this.options.wireTopic?.(topic) ?? topic, payload, { qos }, (err) => {
        if (err) return entry.reject(err);
        clearTimeout(timer);
        this.pending.delete(entry);
        resolve();
      });
    });
  }

  /** Disconnects cleanly (bounded), and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const wasConnected = this.isConnected();
    this.stateValue = 'stopped';
    clearTimeout(this.retryTimer);
    this.chooser.stopReprobe();
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      if (wasConnected) {
        await withTimeout(client.endAsync(false), this.options.disconnectTimeoutMs, 'MQTT disconnect').catch(
          () => undefined,
        );
      }
      retire(client);
    }
    this.rejectPending(new NotConnectedError('connection stopped'));
    if (wasConnected) this.emit('disconnected', { reason: 'agent stopped', retryInMs: null });
  }

  private attempt(): void {
    this.attempts += 1;
    const attempt = this.attempts;
    this.stateValue = 'connecting';
    this.lastError = undefined;
    this.emit('connecting', { attempt });
    if (this.options.createClient !== undefined) {
      let client: MqttClient;
      try {
        client = this.options.createClient(this.clientOptions());
      } catch (err) {
        // A client that cannot be created at all fails the attempt like a refused connection.
        this.lastError = err;
        this.reportAndRetry(false, attempt);
        return;
      }
      this.run(client, attempt);
      return;
    }
    // TCP, the proxy's tunnel and TLS are ours (every failure named), path after path in order;
    // mqtt.js runs on the first socket that opens.
    const stillWanted = () => this.stateValue === 'connecting' && this.attempts === attempt;
    this.chooser.openRound(stillWanted).then(
      (round) => {
        if (round.opened) {
          this.run(new MqttClient(() => round.facts.socket, this.clientOptions()), attempt);
        } else if ('error' in round) {
          this.lastError = round.error;
          this.reportAndRetry(false, attempt);
        }
      },
      (err: unknown) => {
        if (!stillWanted()) return;
        this.lastError = err;
        this.reportAndRetry(false, attempt);
      },
    );
  }

  /** Ends the working connection cleanly and connects again from the top of the paths. */
  private moveBack(reason: string): void {
    const client = this.client;
    if (!this.isConnected() || client === undefined || this.movingReason !== undefined) return;
    this.movingReason = reason;
    this.chooser.stopReprobe();
    void withTimeout(client.endAsync(false), this.options.disconnectTimeoutMs, 'MQTT disconnect').catch(() =>
      client.end(true),
    );
  }

  private run(client: MqttClient, attempt: number): void {
    this.client = client;
    this.measureRtt(client);
    client.on('error', (err) => {
      this.lastError = err;
    });
    client.on('message', (topic, payload) => {
      // Also while still subscribing: the persistent session's queued commands arrive right after
      // CONNACK, before our SUBACK, and mqtt.js has acknowledged them already (dropped, they are lost).
      const live = this.stateValue === 'connected' || this.stateValue === 'connecting';
      if (this.client === client && live) this.emit('message', topic, payload);
    });
    client.once('connect', (connack) => {
      void this.subscribe(client).then(
        () => {
          if (this.client !== client || this.stateValue !== 'connecting') return;
          this.stateValue = 'connected';
          this.connectedAt = Date.now();
          if (this.options.createClient === undefined) this.chooser.startReprobe();
          this.emit('connected', { attempt, sessionPresent: connack.sessionPresent });
        },
        (err: unknown) => {
          if (this.client !== client) return;
          this.lastError = err;
          client.end(true);
        },
      );
    });
    client.on('close', () => this.onClose(client, attempt));
    client.connect();
  }

  /** MQTT session settings; the transport has already done TCP and TLS. */
  private clientOptions(): IClientOptions {
    const { options } = this;
    return {
      clientId: options.clientId,
      // Persistent session: commands sent while we were away are delivered on reconnect.
      clean: false,
      protocolVersion: 4,
      keepalive: options.keepaliveSec,
      connectTimeout: options.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      // Listeners first: the CONNECT packet (timed for the RTT) is written as soon as we connect.
      manualConnect: true,
      // mqtt-packet's default caches a Buffer for each of the 65,536 packet ids: 7 MB of heap, a
      // tenth of the agent's footprint budget, to save a 2-byte allocation per packet.
      writeCache: false,
    };
  }

  private async subscribe(client: MqttClient): Promise<void> {
    const topic = this.options.commandTopic;
    const granted = await withTimeout(
      client.subscribeAsync(topic, { qos: 1 }),
      this.options.subscribeTimeoutMs,
      `subscribing to ${topic}`,
    );
    if (granted.some((g) => g.qos === 128)) {
      throw new Error(`broker refused the subscription to ${topic} (check the device policy)`);
    }
  }

  private onClose(client: MqttClient, attempt: number): void {
    if (this.client !== client) return;
    retire(client);
    this.client = undefined;
    this.chooser.stopReprobe();
    const wasConnected = this.stateValue === 'connected';
    this.rejectPending(new NotConnectedError('connection lost before the broker acknowledged'));
    if (this.stateValue === 'stopped') return;
    const moving = this.movingReason;
    this.movingReason = undefined;
    if (moving !== undefined && wasConnected) {
      // Not a failure: no backoff, and the next attempt starts from the top of the paths.
      this.emit('disconnected', { reason: moving, retryInMs: 0 });
      if ((this.stateValue as ConnectionState) === 'stopped') return;
      this.stateValue = 'waiting';
      this.retryTimer = setTimeout(() => this.attempt(), 0);
      return;
    }
    this.reportAndRetry(wasConnected, attempt);
  }

  /** Reports why the connection went (or never came) and schedules the next attempt. */
  private reportAndRetry(wasConnected: boolean, attempt: number): void {
    if (wasConnected && Date.now() - this.connectedAt >= (this.options.stableAfterMs ?? 30_000))
      this.failures = 0;
    const retryInMs = backoffDelay(this.failures, this.options.backoff, this.options.random);
    this.failures += 1;
    if (wasConnected) {
      const reason =
        this.lastError === undefined
          ? 'connection closed by the broker or the network'
          : describeConnectFailure(this.lastError, this.options.endpoint).reason;
      this.emit('disconnected', { reason, retryInMs });
    } else {
      const failure: ConnectFailure =
        this.lastError === undefined
          ? {
              kind: 'closed',
              reason: `${this.options.endpoint.host}:${this.options.endpoint.port} closed the connection during connect`,
            }
          : describeConnectFailure(this.lastError, this.options.endpoint);
      this.emit('failed', { attempt, path: this.chooser.path().name, failure, retryInMs, next: null });
    }
    // A listener may have stopped us while handling the event.
    if ((this.stateValue as ConnectionState) === 'stopped') return;
    this.stateValue = 'waiting';
    this.retryTimer = setTimeout(() => this.attempt(), retryInMs);
  }

  private rejectPending(err: Error): void {
    for (const entry of [...this.pending]) entry.reject(err);
  }

  private measureRtt(client: MqttClient): void {
    const sent = new Map<string, number>();
    client.on('packetsend', (packet: Packet) => {
      const now = performance.now();
      if (packet.cmd === 'connect' || packet.cmd === 'pingreq') sent.set(packet.cmd, now);
      else if (packet.cmd === 'publish' && packet.qos === 1) sent.set(`publish:${packet.messageId}`, now);
    });
    client.on('packetreceive', (packet: Packet) => {
      const key =
        packet.cmd === 'connack'
          ? 'connect'
          : packet.cmd === 'pingresp'
            ? 'pingreq'
            : packet.cmd === 'puback'
              ? `publish:${packet.messageId}`
              : undefined;
      if (key === undefined) return;
      const at = sent.get(key);
      if (at === undefined) return;
      sent.delete(key);
      this.rtt = Math.round((performance.now() - at) * 10) / 10;
    });
  }
}
