/**
 * AWS IoT lifecycle (presence) events, shaped like `$aws/events/presence/...` payloads in AWS.
 * versionNumber is time-based (ms), kept strictly increasing per client id, so it also orders
 * events across restarts of the local cloud.
 */
import type { LifecycleEvent } from '#protocol/lifecycle.ts';

/** AWS's disconnect reasons that the local broker can tell apart. */
export type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'CONNECTION_LOST'
  | 'DUPLICATE_CLIENTID'
  | 'FORBIDDEN_ACCESS'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'CLIENT_ERROR'
  | 'SERVER_INITIATED_DISCONNECT';

export interface ConnectionFacts {
  readonly clientId: string;
  readonly sessionIdentifier: string;
  readonly principalIdentifier?: string;
  readonly ipAddress?: string;
}

export class LifecycleVersions {
  readonly #last = new Map<string, number>();

  next(clientId: string): number {
    const version = Math.max(Date.now(), (this.#last.get(clientId) ?? 0) + 1);
    this.#last.set(clientId, version);
    return version;
  }
}

export function connectedEvent(facts: ConnectionFacts, versionNumber: number): LifecycleEvent {
  return { ...facts, eventType: 'connected', timestamp: Date.now(), versionNumber };
}

export function disconnectedEvent(
  facts: ConnectionFacts,
  versionNumber: number,
  reason: DisconnectReason,
): LifecycleEvent {
  return {
    ...facts,
    eventType: 'disconnected',
    timestamp: Date.now(),
    versionNumber,
    disconnectReason: reason,
    clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
  };
}
