/**
 * Raw analyzer batches, many per S3 object: one object per handler invocation instead of one per
 * batch (a PUT per 5-minute batch would cost more than the rest of the path). Each batch is kept
 * byte for byte as the device framed it, and stays retrievable by (device, session, sequence): the
 * batch index (in DynamoDB) names the object and the byte range, and the object carries the same
 * index in its footer, so it describes itself even without the table.
 *
 *   [frame][frame]…[index JSON][index length: u32 BE]["FPB1"]
 */

export const BUNDLE_MAGIC = 'FPB1';
const TRAILER_BYTES = 8;

export interface BundleEntry {
  readonly deviceId: string;
  readonly sessionId: string;
  readonly seq: number;
  /** Byte range of the frame in the object: what a ranged GET asks for. */
  readonly offset: number;
  readonly length: number;
}

export interface BundleInput {
  readonly deviceId: string;
  readonly sessionId: string;
  readonly seq: number;
  readonly frame: Uint8Array;
}

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/** Where a bundle of batches received on `day` lives; `id` is unique per invocation. */
export const rawBundleKey = (day: string, id: string): string => `analyzer/raw/dt=${day}/${id}.fpb`;

export function packBundle(inputs: readonly BundleInput[]): { body: Uint8Array; index: BundleEntry[] } {
  const index: BundleEntry[] = [];
  let offset = 0;
  for (const { deviceId, sessionId, seq, frame } of inputs) {
    index.push({ deviceId, sessionId, seq, offset, length: frame.byteLength });
    offset += frame.byteLength;
  }
  const footer = Buffer.from(JSON.stringify(index), 'utf8');
  const trailer = Buffer.alloc(TRAILER_BYTES);
  trailer.writeUInt32BE(footer.byteLength, 0);
  trailer.write(BUNDLE_MAGIC, 4, 'ascii');
  const body = Buffer.concat([...inputs.map((i) => i.frame), footer, trailer]);
  return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), index };
}

/** The index a bundle carries in its footer. */
export function readBundleIndex(body: Uint8Array): BundleEntry[] {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.byteLength < TRAILER_BYTES || bytes.toString('ascii', bytes.byteLength - 4) !== BUNDLE_MAGIC) {
    throw new BundleError('not a raw analyzer bundle (no FPB1 trailer)');
  }
  const footerLength = bytes.readUInt32BE(bytes.byteLength - TRAILER_BYTES);
  const footerStart = bytes.byteLength - TRAILER_BYTES - footerLength;
  if (footerStart < 0)
    throw new BundleError(`bundle footer of ${footerLength} bytes does not fit the object`);
  let index: unknown;
  try {
    index = JSON.parse(bytes.toString('utf8', footerStart, bytes.byteLength - TRAILER_BYTES));
  } catch {
    throw new BundleError('bundle footer is not JSON');
  }
  if (!Array.isArray(index)) throw new BundleError('bundle footer is not an index');
  for (const entry of index as BundleEntry[]) {
    if (
      !Number.isInteger(entry?.offset) ||
      !Number.isInteger(entry?.length) ||
      entry.offset + entry.length > footerStart
    ) {
      throw new BundleError('bundle index entry points outside the frames');
    }
  }
  return index as BundleEntry[];
}

/** One batch's frame, as the device sent it. */
export function frameOf(body: Uint8Array, entry: Pick<BundleEntry, 'offset' | 'length'>): Uint8Array {
  if (entry.offset < 0 || entry.offset + entry.length > body.byteLength) {
    throw new BundleError(
      `range ${entry.offset}+${entry.length} is outside the ${body.byteLength}-byte bundle`,
    );
  }
  return body.subarray(entry.offset, entry.offset + entry.length);
}
