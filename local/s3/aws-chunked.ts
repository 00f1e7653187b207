/**
 * The `aws-chunked` content encoding the S3 client uses for bodies of unknown length (and for
 * trailing checksums): `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n` ... `0\r\n`, then trailer
 * headers such as `x-amz-checksum-crc32:<base64>`, then `\r\n`.
 */
export interface DecodedChunks {
  readonly body: Buffer;
  readonly trailers: Record<string, string>;
}

export class ChunkEncodingError extends Error {
  override readonly name = 'ChunkEncodingError';
}

export function decodeAwsChunked(raw: Buffer): DecodedChunks {
  const parts: Buffer[] = [];
  let at = 0;
  const line = (): string => {
    const end = raw.indexOf('\r\n', at);
    if (end < 0) throw new ChunkEncodingError('truncated aws-chunked body');
    const text = raw.subarray(at, end).toString('latin1');
    at = end + 2;
    return text;
  };
  for (;;) {
    const header = line();
    const size = Number.parseInt(header.split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw new ChunkEncodingError(`bad chunk header "${header}"`);
    if (size === 0) break;
    if (at + size > raw.length) throw new ChunkEncodingError('truncated aws-chunked body');
    parts.push(raw.subarray(at, at + size));
    at += size;
    if (line() !== '') throw new ChunkEncodingError('chunk longer than its size');
  }
  const trailers: Record<string, string> = {};
  while (at < raw.length) {
    const text = line();
    if (text === '') break;
    const colon = text.indexOf(':');
    if (colon > 0) trailers[text.slice(0, colon).trim().toLowerCase()] = text.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}
