/**
 * The outbox's data classes, derived from the topic in this one place. Each class has its own bound
 * and its own rule for what happens when the bound is reached (see docs/agent-outbox.md):
 * - `analyzer`: the oldest analyzer batch is dropped and counted;
 * - `inventory`: never dropped; a backlog collapses into one full report (a resync);
 * - `command-result`: kept; past its (generous) bound a new result is refused, never an old one lost;
 * - `other`: small requests the cloud answers again on the next ask; the oldest goes first.
 */
import { type DeviceTopicKind, parseDeviceTopic } from '#protocol/topics.ts';

export type DataClass = 'inventory' | 'command-result' | 'analyzer' | 'other';
export const DATA_CLASSES: readonly DataClass[] = ['inventory', 'command-result', 'analyzer', 'other'];

/** Typed over every device → cloud topic: a new topic does not compile until it has a class. */
const classOfTopicKind: Record<DeviceTopicKind, DataClass> = {
  report: 'inventory',
  'command-result': 'command-result',
  analyzer: 'analyzer',
  // Heartbeats are never queued (the agent sends them live only); one that is published through the
  // outbox anyway is small and stale once queued.
  heartbeat: 'other',
  'policy-request': 'other',
};

export function dataClassOf(topic: string): DataClass {
  const kind = parseDeviceTopic(topic)?.kind;
  return kind === undefined ? 'other' : classOfTopicKind[kind];
}

export const isDataClass = (value: string): value is DataClass =>
  (DATA_CLASSES as readonly string[]).includes(value);

export interface ClassBound {
  /** Queued messages of the class (files on disk, in flight included). */
  readonly maxMessages: number;
  /** Bytes on disk of the class's queued files. */
  readonly maxBytes: number;
}

export type ClassBounds = Readonly<Record<DataClass, ClassBound>>;
