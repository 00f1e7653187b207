/**
 * The seam between the agent's core (connection, heartbeat, outbox) and its features (inventory,
 * analyzer, command handlers). A feature is an AgentModule; the core hands it an AgentContext.
 */
import type { Command } from '#protocol/commands.ts';
import type { Heartbeat } from '#protocol/heartbeat.ts';
import type { PolicyDocument } from '#protocol/policy.ts';

export interface PublishOptions {
  /** @default 1 */
  readonly qos?: 0 | 1;
}

export interface AgentLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface AgentContext {
  readonly deviceId: string;
  readonly agentVersion: string;
  /** Folder the agent may persist state in (sequence numbers, outbox, ...). Survives restarts. */
  readonly dataDir: string;
  readonly logger: AgentLogger;
  /** Current policy (built-in defaults until the cloud sends one). */
  policy(): PolicyDocument;
  /**
   * Publishes a device → cloud message. Resolves once the broker acknowledged it (QoS 1), or once it
   * is durably queued for sending on reconnect when offline. The topic must be one of this device's.
   */
  publish(topic: string, payload: Buffer, options?: PublishOptions): Promise<void>;
  /** Registers a handler for cloud → device commands of one type. */
  onCommand<T extends Command['type']>(
    type: T,
    handler: (command: Extract<Command, { type: T }>) => Promise<void> | void,
  ): void;
  /** Called after every (re)connection, once the command topic is subscribed. */
  onConnected(handler: () => void): void;
}

export interface AgentModule {
  readonly name: string;
  start(context: AgentContext): Promise<void>;
  stop(): Promise<void>;
  /**
   * Fields the module contributes to each heartbeat (inventory's last report sequence, the running
   * policy version, ...), read at every heartbeat. Checked against the protocol; a contribution
   * that throws or is out of contract is logged and left out.
   */
  heartbeatFields?(): Partial<Heartbeat>;
}
