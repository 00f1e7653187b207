/**
 * Sort keys of the `inventory` table (partition key = device id) and S3 archive keys.
 *
 * | sk                                                  | what                                            |
 * |-----------------------------------------------------|-------------------------------------------------|
 * | `meta`                                              | the pointer: epoch, seq, gen, shard manifest     |
 * | `shard#<section>#<idx>#<slot 0|1>`                  | one shard of a section (two slots, see apply.ts) |
 * | `change#<epochAt13>#<epochTag>#<seq12>`             | change summary of one applied report             |
 * | `pending#<epochTag>#<baseSeq12>#<seq12>`            | a diff waiting for its base (points to S3)       |
 * | `resync`                                            | last resync request (rate limit) and lag marker  |
 * | `scratch#whole-state`                               | measurement only: the naive one-item state       |
 *
 * `epochAt` is the collection time of the full report that started the stored run of the epoch: taken
 * from the report itself, so every copy of a report (delivery is at-least-once and unordered) writes
 * the same change key, and the history lists epochs in the order the device started them.
 *
 * Epochs are device-chosen strings; keys carry a short hash of them so a `#` in an epoch cannot
 * make one key prefix of another, and keys stay short (item size is what DynamoDB bills).
 */
import { createHash } from 'node:crypto';

export const META_SK = 'meta';
export const RESYNC_SK = 'resync';
export const WHOLE_STATE_SCRATCH_SK = 'scratch#whole-state';
export const SHARD_PREFIX = 'shard#';
export const CHANGE_PREFIX = 'change#';
export const PENDING_PREFIX = 'pending#';

export const pad12 = (n: number): string => String(n).padStart(12, '0');
/** Largest time a 13-digit key part holds (year 2286): device clocks beyond it are clamped. */
const MAX_KEY_TIME = 9_999_999_999_999;
const pad13 = (n: number): string =>
  String(Math.min(Math.max(0, Math.trunc(n)), MAX_KEY_TIME)).padStart(13, '0');

export function epochTag(epoch: string): string {
  return createHash('sha256').update(epoch, 'utf8').digest('base64url').slice(0, 10);
}

export const shardSk = (section: string, idx: number, slot: number): string =>
  `${SHARD_PREFIX}${section}#${idx}#${slot}`;

export const changeSk = (epochAt: number, tag: string, seq: number): string =>
  `${CHANGE_PREFIX}${pad13(epochAt)}#${tag}#${pad12(seq)}`;
/** Exactly the keys changeSk writes (the changes API accepts no other key in a cursor). */
export const CHANGE_SK_PATTERN = /^change#\d{13}#[A-Za-z0-9_-]{10}#\d{12}$/;

export const pendingEpochPrefix = (tag: string): string => `${PENDING_PREFIX}${tag}#`;
export const pendingSk = (tag: string, baseSeq: number, seq: number): string =>
  `${pendingEpochPrefix(tag)}${pad12(baseSeq)}#${pad12(seq)}`;

/** Hive-style partitions (Athena-friendly); one object per device, epoch and sequence. */
export const archiveKey = (deviceId: string, epoch: string, seq: number): string =>
  `reports/device=${deviceId}/epoch=${encodeURIComponent(epoch)}/seq=${pad12(seq)}.fpr`;
