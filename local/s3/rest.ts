/**
 * S3's REST API, path-style (`/<bucket>/<key>`, as the SDK sends it with forcePathStyle): the bucket
 * and object operations the repository uses, with S3's status codes and XML error bodies.
 * Signatures are not checked (any credentials are accepted, like the other emulators).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bucketOperation } from './bucket-api.ts';
import { getObject, putObject } from './object-api.ts';
import type { ObjectStore } from './objects.ts';
import { isoDate, noSuchBucket, notImplemented, XMLNS } from './request.ts';
import { element, requestHeaders, S3Error, sendError, sendXml } from './xml.ts';

async function route(objects: ObjectStore, req: IncomingMessage, res: ServerResponse, region: string) {
  const url = new URL(req.url ?? '/', 'http://s3.local');
  const path = url.pathname.slice(1);
  const slash = path.indexOf('/');
  const bucket = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
  const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
  if (bucket === '') {
    if (req.method !== 'GET') throw notImplemented(`${req.method} /`);
    const buckets = objects
      .buckets()
      .map(
        (b) => `<Bucket>${element('Name', b.name)}${element('CreationDate', isoDate(b.createdAt))}</Bucket>`,
      )
      .join('');
    sendXml(
      res,
      200,
      `<ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>local</ID></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`,
    );
    return;
  }
  if (key === '') return bucketOperation(objects, bucket, url.searchParams, req, res, region);
  if (!objects.hasBucket(bucket)) throw noSuchBucket(bucket);
  if (url.searchParams.has('uploads') || url.searchParams.has('uploadId'))
    throw notImplemented('Multipart upload');
  if (url.searchParams.has('tagging') || url.searchParams.has('acl'))
    throw notImplemented('Object tagging and ACLs');
  switch (req.method) {
    case 'PUT':
      return putObject(objects, bucket, key, req, res);
    case 'GET':
      return getObject(objects, bucket, key, req, res, false);
    case 'HEAD':
      return getObject(objects, bucket, key, req, res, true);
    case 'DELETE':
      await objects.delete(bucket, [key]);
      res.writeHead(204, requestHeaders());
      res.end();
      return;
    default:
      throw notImplemented(`${req.method} on an object`);
  }
}

/** Answers one S3 request. */
export async function handleS3(
  objects: ObjectStore,
  req: IncomingMessage,
  res: ServerResponse,
  region: string,
  onInternalError: (err: unknown) => void,
): Promise<void> {
  try {
    await route(objects, req, res, region);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof S3Error) return sendError(res, err, req.method === 'HEAD');
    if (err instanceof URIError)
      return sendError(
        res,
        new S3Error('InvalidURI', 'Could not parse the specified URI.', 400),
        req.method === 'HEAD',
      );
    onInternalError(err);
    sendError(
      res,
      new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500),
      req.method === 'HEAD',
    );
  }
}
