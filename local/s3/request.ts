/** What every S3 operation shares: request headers and body, S3's common errors, date formats. */
import type { IncomingMessage } from 'node:http';
import { S3Error } from './xml.ts';

/** Largest object body accepted (archived reports are far below; it bounds memory). */
export const MAX_OBJECT_BYTES = 64 * 1024 * 1024;
export const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export const noSuchBucket = (bucket: string): S3Error =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
export const noSuchKey = (key: string): S3Error =>
  new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
export const notImplemented = (what: string): S3Error =>
  new S3Error('NotImplemented', `${what} is not implemented by the local S3.`, 501);
export const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

export const httpDate = (ms: number): string => new Date(ms).toUTCString();
export const isoDate = (ms: number): string => new Date(ms).toISOString();

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_OBJECT_BYTES + 64 * 1024)
      throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
