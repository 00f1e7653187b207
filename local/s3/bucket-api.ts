/** Bucket operations: CreateBucket, HeadBucket, DeleteBucket, ListObjectsV2, DeleteObjects, location. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectStore } from './objects.ts';
import { isoDate, noSuchBucket, notImplemented, readBody, XMLNS } from './request.ts';
import { element, parseDeleteRequest, requestHeaders, S3Error, sendXml } from './xml.ts';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

async function listObjectsV2(
  objects: ObjectStore,
  bucket: string,
  query: URLSearchParams,
  res: ServerResponse,
) {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') || undefined;
  const maxKeys = Math.min(1000, Math.max(0, Number(query.get('max-keys') ?? 1000) || 0));
  const token = query.get('continuation-token') ?? undefined;
  const startAfter = query.get('start-after') ?? undefined;
  let after = startAfter;
  if (token !== undefined) {
    after = Buffer.from(token, 'base64url').toString('utf8');
    if (after === '')
      throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', 400);
  }
  const urlEncoded = query.get('encoding-type') === 'url';
  const out = (text: string): string => (urlEncoded ? encodeURIComponent(text).replaceAll('%2F', '/') : text);
  const page = await objects.list(bucket, {
    prefix,
    maxKeys,
    ...(delimiter === undefined ? {} : { delimiter }),
    ...(after === undefined ? {} : { after }),
  });
  const contents = page.contents
    .map(
      ({ key, meta }) =>
        `<Contents>${element('Key', out(key))}${element('LastModified', isoDate(meta.lastModified))}${element('ETag', meta.etag)}${element('Size', meta.size)}${element('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join('');
  const prefixes = page.commonPrefixes
    .map((p) => `<CommonPrefixes>${element('Prefix', out(p))}</CommonPrefixes>`)
    .join('');
  sendXml(
    res,
    200,
    `<ListBucketResult xmlns="${XMLNS}">${element('Name', bucket)}${element('Prefix', out(prefix))}${element('Delimiter', delimiter && out(delimiter))}${element('MaxKeys', maxKeys)}${element('KeyCount', page.contents.length + page.commonPrefixes.length)}${element('IsTruncated', page.next !== undefined)}${element('ContinuationToken', token)}${element('NextContinuationToken', page.next && Buffer.from(page.next).toString('base64url'))}${element('StartAfter', startAfter && out(startAfter))}${element('EncodingType', urlEncoded ? 'url' : undefined)}${contents}${prefixes}</ListBucketResult>`,
  );
}

async function deleteObjects(
  objects: ObjectStore,
  bucket: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const { keys, quiet } = parseDeleteRequest((await readBody(req)).toString('utf8'));
  if (keys.length > 1000) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed', 400);
  await objects.delete(bucket, keys);
  const deleted = quiet ? '' : keys.map((key) => `<Deleted>${element('Key', key)}</Deleted>`).join('');
  sendXml(res, 200, `<DeleteResult xmlns="${XMLNS}">${deleted}</DeleteResult>`);
}

export async function bucketOperation(
  objects: ObjectStore,
  bucket: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  region: string,
): Promise<void> {
  if (req.method === 'PUT') {
    if (!BUCKET_NAME.test(bucket))
      throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, {
        BucketName: bucket,
      });
    await readBody(req);
    if (!(await objects.createBucket(bucket)))
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: bucket },
      );
    res.writeHead(200, { ...requestHeaders(), location: `/${bucket}` });
    res.end();
    return;
  }
  if (!objects.hasBucket(bucket)) throw noSuchBucket(bucket);
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...requestHeaders(), 'x-amz-bucket-region': region });
    res.end();
  } else if (req.method === 'DELETE') {
    if (!(await objects.deleteBucket(bucket)))
      throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, {
        BucketName: bucket,
      });
    res.writeHead(204, requestHeaders());
    res.end();
  } else if (req.method === 'POST' && query.has('delete')) {
    await deleteObjects(objects, bucket, req, res);
  } else if (req.method === 'GET' && query.has('location')) {
    sendXml(res, 200, `<LocationConstraint xmlns="${XMLNS}">${region}</LocationConstraint>`);
  } else if (req.method === 'GET' && query.get('list-type') === '2') {
    await listObjectsV2(objects, bucket, query, res);
  } else {
    throw notImplemented(`${req.method} on a bucket with ?${[...query.keys()].join('&')}`);
  }
}
