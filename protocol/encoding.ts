/**
 * Wire encodings for device payloads.
 *
 * Small, frequent messages (heartbeat, command, command-result, policy) are plain UTF-8 JSON.
 * Reports and analyzer batches are framed binary: 'F' 'P' <version=1> <codec> <body>, where the
 * codec names how the JSON body is compressed. The frame lets the cloud reject undecodable input
 * with a precise reason, and lets us change codecs without breaking deployed agents.
 */
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { exceededJsonBound } from './json-bounds.ts';
import { toKeySafe } from './json-object.ts';

export const FRAME_MAGIC = Buffer.from('FP', 'ascii');
export const FRAME_VERSION = 1;

export enum Codec {
  Json = 0,
  Brotli = 1,
  Gzip = 2,
}

/** IoT Core's hard payload limit. */
export const MAX_PAYLOAD_BYTES = 128 * 1024;
/** Decompression-bomb guard: no decoded body may exceed this (structure bounds: json-bounds.ts). */
export const MAX_DECODED_BYTES = 4 * 1024 * 1024;

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export function encodeFramed(value: unknown, codec: Codec = Codec.Brotli): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  let body: Buffer;
  switch (codec) {
    case Codec.Json:
      body = json;
      break;
    case Codec.Brotli:
      body = brotliCompressSync(json, {
        params: {
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          // Quality 5: a ~70 KB full report compresses to ~12 KB in ~5 ms. Quality 11 saves 1.3 KB
          // more for ~225 ms of CPU, which a fleet of 2,000 agents starting together cannot afford.
          [constants.BROTLI_PARAM_QUALITY]: 5,
          [constants.BROTLI_PARAM_SIZE_HINT]: json.length,
        },
      });
      break;
    case Codec.Gzip:
      body = gzipSync(json, { level: 9 });
      break;
  }
  return Buffer.concat([FRAME_MAGIC, Buffer.from([FRAME_VERSION, codec]), body]);
}

export function decodeFramed(payload: Uint8Array): unknown {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length > MAX_PAYLOAD_BYTES) {
    throw new DecodeError(`payload is ${buf.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  if (buf.length < 4 || !buf.subarray(0, 2).equals(FRAME_MAGIC)) {
    throw new DecodeError('payload is not a fleetpulse frame (missing FP magic)');
  }
  const version = buf[2];
  if (version !== FRAME_VERSION) throw new DecodeError(`unsupported frame version ${version}`);
  const codec = buf[3];
  const body = buf.subarray(4);
  let json: Buffer;
  try {
    switch (codec) {
      case Codec.Json:
        json = body;
        break;
      case Codec.Brotli:
        json = brotliDecompressSync(body, { maxOutputLength: MAX_DECODED_BYTES });
        break;
      case Codec.Gzip:
        json = gunzipSync(body, { maxOutputLength: MAX_DECODED_BYTES });
        break;
      default:
        throw new DecodeError(`unknown codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(`body decompresses to more than ${MAX_DECODED_BYTES} bytes`);
    }
    throw new DecodeError(
      `body does not decompress with codec ${Codec[codec as Codec]}: ${(err as Error).message}`,
    );
  }
  return parseJson(json);
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson(payload: Uint8Array): unknown {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (buf.length > MAX_PAYLOAD_BYTES) {
    throw new DecodeError(`payload is ${buf.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  return parseJson(buf);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Every device payload becomes a value here: bounded first (json-bounds.ts: depth, key counts,
 * array lengths, string sizes), then parsed into objects whose keys are data (json-object.ts).
 */
function parseJson(buf: Buffer): unknown {
  const exceeded = exceededJsonBound(buf);
  if (exceeded !== undefined) throw new DecodeError(`payload is too large or too deep: ${exceeded}`);
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new DecodeError('payload is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DecodeError(`payload is not valid JSON: ${(err as Error).message}`);
  }
  return toKeySafe(value);
}
