/**
 * The agent: connection + outbox + heartbeat + command routing, and the modules (policy, which is
 * built in, then inventory, analyzer, ...) that plug in through AgentContext.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, type CommandResult, CommandResultSchema } from '#protocol/commands.ts';
import { encodeJson } from '#protocol/encoding.ts';
import type { PolicyDocument } from '#protocol/policy.ts';
import { basicIngestTopic, deviceAcl, topics } from '#protocol/topics.ts';
import { CommandRouter } from './commands.ts';
import type { AgentConfig } from './config.ts';
import { Connection, type ConnectionEvents, type ConnectionOptions, withTimeout } from './connection.ts';
import { agentDefaults } from './defaults.ts';
import { buildHeartbeat, HeartbeatLoop, mergeContributions } from './heartbeat.ts';
import { type HostProbe, localHost } from './host.ts';
import { createLogger, errorMessage } from './logger.ts';
import type { AgentContext, AgentLogger, AgentModule, PublishOptions } from './module.ts';
import { DiskOutbox, type Outbox, type OutboxTuning, outboxLimits } from './outbox.ts';
import { PingModule } from './ping.ts';
import { PolicyModule } from './policy/module.ts';
import { readTlsIdentity, type TlsIdentity } from './transport/index.ts';
import { agentPathSource } from './transport/paths.ts';
import { AGENT_VERSION } from './version.ts';

export interface AgentOptions {
  readonly config: AgentConfig;
  readonly modules?: readonly AgentModule[];
  /** Platform, host name and sessions. @default localHost() (systeminformation) */
  readonly host?: HostProbe;
  /** @default JSON lines on stderr at config.logLevel */
  readonly logger?: AgentLogger;
  /** @default read from config.certPath / keyPath / caPath at start */
  readonly identity?: TlsIdentity;
  /** Engineering limits (tests shrink them). @default agentDefaults */
  readonly tuning?: {
    readonly connection?: Partial<
      Omit<ConnectionOptions, 'clientId' | 'endpoint' | 'identity' | 'commandTopic' | 'logger'>
    >;
    readonly outbox?: OutboxTuning;
    readonly stopFlushTimeoutMs?: number;
  };
}

export type AgentEvents = Omit<ConnectionEvents, 'message'>;

export class Agent extends EventEmitter<AgentEvents> implements AgentContext {
  readonly deviceId: string;
  readonly agentVersion = AGENT_VERSION;
  readonly dataDir: string;
  readonly logger: AgentLogger;
  /** The built-in policy module first: the others read the policy when they start. */
  private readonly modules: readonly AgentModule[];
  private readonly policyModule: PolicyModule;
  private readonly host: HostProbe;
  private readonly router: CommandRouter;
  private readonly connectedHandlers: Array<() => void> = [];
  private readonly heartbeat: HeartbeatLoop;
  private readonly startedAt = Date.now();
  private outbox: Outbox | undefined;
  private connection: Connection | undefined;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(private readonly options: AgentOptions) {
    super();
    const { config } = options;
    this.deviceId = config.deviceId;
    this.dataDir = config.dataDir;
    this.logger = options.logger ?? createLogger(config.logLevel, { deviceId: config.deviceId });
    this.policyModule = new PolicyModule({
      onApplied: () => {
        this.heartbeat.beatNow();
        // New proxies: move now when the path in use is gone or a preferred one works.
        this.connection?.reconsiderPaths();
      },
    });
    // Ping is built in too: every agent, real or simulated, answers the reachability round trip.
    this.modules = [this.policyModule, new PingModule(), ...(options.modules ?? [])];
    this.host = options.host ?? localHost();
    this.router = new CommandRouter({
      logger: this.logger,
      sendResult: (result) => this.publishResult(result),
      dedupWindow: agentDefaults.commandDedupWindow,
    });
    this.heartbeat = new HeartbeatLoop({
      intervalSec: () => this.heartbeatIntervalSec(),
      send: () => this.sendHeartbeat(),
      logger: this.logger,
    });
  }

  // ------------------------------------------------------------------ AgentContext

  policy(): PolicyDocument {
    const policy = this.policyModule.current();
    if (policy === undefined) throw new Error('agent not started');
    return policy;
  }

  async publish(topic: string, payload: Buffer, options: PublishOptions = {}): Promise<void> {
    if (!deviceAcl.canPublish(this.deviceId, topic)) {
      throw new Error(
        `device ${this.deviceId} may not publish to ${topic} (only its own device → cloud topics)`,
      );
    }
    const { connection, outbox } = this;
    if (connection === undefined || outbox === undefined) throw new Error('agent not started');
    if ((options.qos ?? 1) === 0) {
      // QoS 0 is fire-and-forget: dropped when offline, never queued.
      if (connection.isConnected()) await connection.publish(topic, payload, 0).catch(() => undefined);
      return;
    }
    const { delivered } = await outbox.put(topic, payload, 1);
    if (!connection.isConnected()) return;
    const stopWaiting = new AbortController();
    try {
      await Promise.race([delivered, connection.untilDisconnected(stopWaiting.signal)]);
    } finally {
      stopWaiting.abort();
    }
  }

  onCommand<T extends Command['type']>(
    type: T,
    handler: (command: Extract<Command, { type: T }>) => Promise<void> | void,
  ): void {
    this.router.on(type, handler);
  }

  onConnected(handler: () => void): void {
    this.connectedHandlers.push(handler);
  }

  // ------------------------------------------------------------------ lifecycle

  isConnected(): boolean {
    return this.connection?.isConnected() ?? false;
  }

  /** Resolves at the next (or current) connection; rejects after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.connection === undefined) return Promise.reject(new Error('agent not started'));
    return this.connection.waitConnected(timeoutMs);
  }

  /** Opens state, starts modules, then connects. Returns without waiting for the connection. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`agent cannot start from state ${this.state}`);
    this.state = 'starting';
    const { config, tuning } = this.options;
    await mkdir(this.dataDir, { recursive: true });
    // Not optional like the other modules: without it the agent has no policy to run.
    await this.policyModule.start(this);
    this.outbox = await DiskOutbox.open(
      join(this.dataDir, 'outbox'),
      outboxLimits(tuning?.outbox),
      this.logger,
    );
    const identity = this.options.identity ?? (await readTlsIdentity(config));
    this.connection = this.createConnection(identity);
    for (const module of this.modules) {
      if (module === this.policyModule) continue;
      try {
        await module.start(this);
        this.logger.debug('module started', { module: module.name });
      } catch (err) {
        this.logger.error('module failed to start; the agent runs without it', {
          module: module.name,
          error: errorMessage(err),
        });
      }
    }
    this.state = 'running';
    this.connection.start();
  }

  /** Stops modules, flushes the outbox (bounded), disconnects cleanly. */
  async stop(): Promise<void> {
    if (this.state !== 'running' && this.state !== 'starting') return;
    this.state = 'stopping';
    const flushMs = this.options.tuning?.stopFlushTimeoutMs ?? agentDefaults.stopFlushTimeoutMs;
    this.heartbeat.stop();
    for (const module of [...this.modules].reverse()) {
      await withTimeout(module.stop(), flushMs, `stopping module ${module.name}`).catch((err) =>
        this.logger.warn('module did not stop cleanly', { module: module.name, error: errorMessage(err) }),
      );
    }
    if (this.connection?.isConnected() && this.outbox !== undefined) {
      const flushed = await this.outbox.flush(flushMs);
      if (!flushed)
        this.logger.info(
          'stopping with messages queued; they are sent at the next start',
          this.outbox.stats(),
        );
    }
    await this.connection?.stop();
    await this.outbox?.close();
    this.state = 'stopped';
  }

  // ------------------------------------------------------------------ internals

  private createConnection(identity: TlsIdentity): Connection {
    const { config, tuning } = this.options;
    const defaults = agentDefaults.connection;
    const connection = new Connection({
      clientId: this.deviceId,
      endpoint: { host: config.endpoint, port: config.port },
      ...(config.alpn === undefined ? {} : { alpn: config.alpn }),
      identity,
      commandTopic: topics.command(this.deviceId),
      ...(config.basicIngest ? { wireTopic: basicIngestTopic } : {}),
      keepaliveSec: defaults.keepaliveSec,
      connectTimeoutMs: defaults.connectTimeoutMs,
      subscribeTimeoutMs: defaults.subscribeTimeoutMs,
      publishTimeoutMs: defaults.publishTimeoutMs,
      disconnectTimeoutMs: defaults.disconnectTimeoutMs,
      backoff: defaults.backoff,
      preferredReprobeMs: defaults.preferredReprobeMs,
      paths: agentPathSource(config, () => this.policyModule.current(), {
        connectTimeoutMs: defaults.connectTimeoutMs,
      }),
      ...tuning?.connection,
      logger: this.logger,
    });
    connection.on('connecting', (e) => {
      this.logger.debug('connecting', { endpoint: `${config.endpoint}:${config.port}`, attempt: e.attempt });
      this.emit('connecting', e);
    });
    connection.on('connected', (e) => {
      this.logger.info('connected', {
        endpoint: `${config.endpoint}:${config.port}`,
        ...e,
        queued: this.outbox?.stats(),
      });
      this.outbox?.attach((m) => connection.publish(m.topic, m.payload, m.qos));
      this.heartbeat.start();
      for (const handler of this.connectedHandlers) {
        try {
          handler();
        } catch (err) {
          this.logger.error('onConnected handler threw', { error: errorMessage(err) });
        }
      }
      this.emit('connected', e);
    });
    connection.on('failed', (e) => {
      const fields = { attempt: e.attempt, path: e.path, ...e.failure, next: e.next, retryInMs: e.retryInMs };
      if (e.failure.kind === 'interception') this.logger.error('TLS interception', fields);
      else this.logger.warn('connection failed', fields);
      this.emit('failed', e);
    });
    connection.on('disconnected', (e) => {
      this.outbox?.detach();
      this.heartbeat.stop();
      if (e.retryInMs === null) this.logger.info('disconnected', e);
      else this.logger.warn('disconnected', e);
      this.emit('disconnected', e);
    });
    connection.on('message', (topic, payload) => {
      if (topic === topics.command(this.deviceId)) void this.router.dispatch(payload);
      else this.logger.debug('message on an unexpected topic ignored', { topic });
    });
    return connection;
  }

  private heartbeatIntervalSec(): number {
    return (
      this.options.config.heartbeatIntervalSec ??
      this.policyModule.current()?.heartbeatIntervalSec ??
      agentDefaults.heartbeatIntervalSec
    );
  }

  /** Sends one heartbeat on the live connection; skipped when offline (never queued). */
  async sendHeartbeat(): Promise<void> {
    const { connection } = this;
    if (connection === undefined || !connection.isConnected()) return;
    const contributed = mergeContributions(this.modules, this.logger);
    const sessions = await withTimeout(this.host.sessions(), 5_000, 'listing user sessions').catch((err) => {
      this.logger.warn('cannot list user sessions', { error: errorMessage(err) });
      return [];
    });
    const heartbeat = buildHeartbeat(
      {
        agentVersion: this.agentVersion,
        startedAt: this.startedAt,
        now: Date.now(),
        sessions,
        connectivity: connection.connectivity(),
        platform: this.host.platform,
        hostname: this.host.hostname,
      },
      { ...contributed, ...(this.outbox === undefined ? {} : { outbox: this.outbox.status() }) },
    );
    await connection.publish(topics.heartbeat(this.deviceId), encodeJson(heartbeat), 1);
  }

  private publishResult(result: CommandResult): Promise<void> {
    return this.publish(topics.commandResult(this.deviceId), encodeJson(CommandResultSchema.parse(result)));
  }
}
