/**
 * Sort keys of the `inventory` table (partition key = device id) and S3 archive keys.
 *
 * | sk                                                  | what                                            |
 * |-----------------------------------------------------|-------------------------------------------------|
 * | `meta`                                              | the pointer: epoch, seq, gen, shard manifest     |
 * | `shard#<section>#<idx>#<slot 0|1>`                  | one shard of a section (two slots, see apply.ts) |
 * | `change#<epochStart13>#<epochTag>#<seq12>`          | change summary of one applied report             |
 * | `pending#<epochTag>#<baseSeq12>#<seq12>`            | a diff waiting for its base (points to S3)       |
 * | `resync`                                            | last resync request (rate limit) and lag marker  |
 * | `scratch#whole-state`                               | measurement only: the naive one-item state       |
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
const pad13 = (n: number): string => String(n).padStart(13, '0');

export function epochTag(epoch: string): string {
  return createHash('sha256').update(epoch, 'utf8').digest('base64url').slice(0, 10);
}

export const shardSk = (section: string, idx: number, slot: number): string =>
  `${SHARD_PREFIX}${section}#${idx}#${slot}`;

export const changeSk = (epochStartedAt: number, tag: string, seq: number): string =>
  `${CHANGE_PREFIX}${pad13(epochStartedAt)}#${tag}#${pad12(seq)}`;

export const pendingEpochPrefix = (tag: string): string => `${PENDING_PREFIX}${tag}#`;
export const pendingSk = (tag: string, baseSeq: number, seq: number): string =>
  `${pendingEpochPrefix(tag)}${pad12(baseSeq)}#${pad12(seq)}`;

/** Hive-style partitions (Athena-friendly); one object per device, epoch and sequence. */
export const archiveKey = (deviceId: string, epoch: string, seq: number): string =>
  `reports/device=${deviceId}/epoch=${encodeURIComponent(epoch)}/seq=${pad12(seq)}.fpr`;
