/**
 * One queue's messages in memory, mirrored from the store: `ready` holds the visible ones in the
 * order they became visible (a message whose visibility timeout runs out goes to the back, so
 * repeated receives with VisibilityTimeout 0 walk through the whole queue, as SQS's sampling does),
 * `hidden` the ones in flight or delayed.
 */
import { Waiters } from './long-poll.ts';
import type { StoredMessage } from './message.ts';
import { DEFAULT_ATTRIBUTES, parseRedrivePolicy, type RedrivePolicy } from './queue-attributes.ts';

export interface QueueRecord {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly createdAt: number;
  readonly modifiedAt: number;
}

export class Queue {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  #attributes: Record<string, string>;
  #modifiedAt: number;
  #redrive: RedrivePolicy | undefined;
  readonly #ready = new Map<string, StoredMessage>();
  readonly #hidden = new Map<string, StoredMessage>();
  readonly waiters = new Waiters();

  constructor(record: QueueRecord, arn: string) {
    this.name = record.name;
    this.arn = arn;
    this.createdAt = record.createdAt;
    this.#modifiedAt = record.modifiedAt;
    this.#attributes = { ...DEFAULT_ATTRIBUTES, ...record.attributes };
    this.#redrive = parseRedrivePolicy(this.#attributes.RedrivePolicy);
  }

  get record(): QueueRecord {
    return {
      name: this.name,
      attributes: this.#attributes,
      createdAt: this.createdAt,
      modifiedAt: this.#modifiedAt,
    };
  }

  get attributes(): Readonly<Record<string, string>> {
    return this.#attributes;
  }

  get redrive(): RedrivePolicy | undefined {
    return this.#redrive;
  }

  setAttributes(attributes: Record<string, string>, now: number): void {
    this.#attributes = { ...this.#attributes, ...attributes };
    for (const [name, value] of Object.entries(attributes))
      if (value === '' && !(name in DEFAULT_ATTRIBUTES)) delete this.#attributes[name];
    this.#redrive = parseRedrivePolicy(this.#attributes.RedrivePolicy);
    this.#modifiedAt = now;
    this.waiters.wake();
  }

  /** A numeric attribute (all the numeric ones have defaults). */
  isExpired(message: StoredMessage, now: number): boolean {
    return message.sentAt + this.seconds('MessageRetentionPeriod') * 1000 <= now;
  }

  seconds(name: string): number {
    return Number(this.#attributes[name] ?? DEFAULT_ATTRIBUTES[name] ?? 0);
  }

  add(message: StoredMessage, now: number): void {
    if (message.visibleAt <= now) {
      this.#ready.set(message.id, message);
      this.waiters.wake();
    } else {
      this.#hidden.set(message.id, message);
    }
  }

  find(id: string): StoredMessage | undefined {
    return this.#ready.get(id) ?? this.#hidden.get(id);
  }

  remove(id: string): void {
    this.#ready.delete(id);
    this.#hidden.delete(id);
  }

  /**
   * Makes hidden messages whose time has come visible; returns (and forgets) hidden ones past the
   * retention period. Visible ones are checked as a receive reaches them.
   */
  refresh(now: number): StoredMessage[] {
    const expired: StoredMessage[] = [];
    const retentionMs = this.seconds('MessageRetentionPeriod') * 1000;
    for (const message of this.#hidden.values()) {
      if (message.sentAt + retentionMs <= now) {
        this.#hidden.delete(message.id);
        expired.push(message);
      } else if (message.visibleAt <= now) {
        this.#hidden.delete(message.id);
        this.#ready.set(message.id, message);
      }
    }
    return expired;
  }

  /** Visible messages, oldest-visible first; safe to hide() or remove() while iterating. */
  visible(): IterableIterator<StoredMessage> {
    return this.#ready.values();
  }

  hide(message: StoredMessage, visibleAt: number): void {
    message.visibleAt = visibleAt;
    this.#ready.delete(message.id);
    this.#hidden.set(message.id, message);
  }

  show(message: StoredMessage, now: number): void {
    message.visibleAt = now;
    this.#hidden.delete(message.id);
    this.#ready.set(message.id, message);
    this.waiters.wake();
  }

  isInFlight(message: StoredMessage, now: number): boolean {
    return this.#hidden.has(message.id) && message.receiveCount > 0 && message.visibleAt > now;
  }

  /** When the next hidden message becomes visible (long polls wake then). */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const message of this.#hidden.values())
      if (next === undefined || message.visibleAt < next) next = message.visibleAt;
    return next;
  }

  counts(now: number): { visible: number; inFlight: number; delayed: number } {
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.#hidden.values()) {
      if (message.visibleAt <= now) continue;
      if (message.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible: this.#ready.size, inFlight, delayed };
  }

  /** Every message, and forgets them (PurgeQueue, DeleteQueue). */
  takeAll(): StoredMessage[] {
    const all = [...this.#ready.values(), ...this.#hidden.values()];
    this.#ready.clear();
    this.#hidden.clear();
    return all;
  }
}
