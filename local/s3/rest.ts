/**
 * S3's REST API, path-style (`/<bucket>/<key>`, as the SDK sends it with forcePathStyle): the bucket
 * and object operations the repository uses, with S3's status codes and XML error bodies.
 * Signatures are not checked (any credentials are accepted, like the other emulators).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { ChunkEncodingError, decodeAwsChunked } from './aws-chunked.ts';
import type { ObjectMeta, ObjectStore } from './objects.ts';
import { element, parseDeleteRequest, requestHeaders, S3Error, sendError, sendXml } from './xml.ts';

/** Largest object body accepted (archived reports are far below; it bounds memory). */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const noSuchBucket = (bucket: string): S3Error =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
const noSuchKey = (key: string): S3Error =>
  new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
const notImplemented = (what: string): S3Error =>
  new S3Error('NotImplemented', `${what} is not implemented by the local S3.`, 501);
const preconditionFailed = (): S3Error =>
  new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
    Condition: 'If-None-Match',
  });

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

const httpDate = (ms: number): string => new Date(ms).toUTCString();
const isoDate = (ms: number): string => new Date(ms).toISOString();

async function readBody(req: IncomingMessage): Promise<Buffer> {
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

const CHECKSUMS: Record<string, (body: Buffer) => string> = {
  crc32: (body) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(body));
    return out.toString('base64');
  },
  sha1: (body) => createHash('sha1').update(body).digest('base64'),
  sha256: (body) => createHash('sha256').update(body).digest('base64'),
};

/** Verifies the checksums the writer sent; returns the one to keep. */
function verifyChecksums(
  req: IncomingMessage,
  body: Buffer,
  trailers: Record<string, string>,
): ObjectMeta['checksum'] | undefined {
  const md5 = header(req, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5)
    throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  let kept: ObjectMeta['checksum'];
  for (const [algorithm, compute] of Object.entries(CHECKSUMS)) {
    const name = `x-amz-checksum-${algorithm}`;
    const sent = header(req, name) ?? trailers[name];
    if (sent === undefined) continue;
    if (compute(body) !== sent)
      throw new S3Error(
        'BadDigest',
        `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        400,
      );
    kept = { algorithm, value: sent };
  }
  return kept;
}

function objectHeaders(meta: ObjectMeta): Record<string, string> {
  const headers: Record<string, string> = {
    etag: meta.etag,
    'last-modified': httpDate(meta.lastModified),
    'content-type': meta.contentType ?? 'binary/octet-stream',
    'accept-ranges': 'bytes',
  };
  const optional: Array<[string, string | undefined]> = [
    ['content-encoding', meta.contentEncoding],
    ['content-disposition', meta.contentDisposition],
    ['content-language', meta.contentLanguage],
    ['cache-control', meta.cacheControl],
    ['expires', meta.expires],
  ];
  for (const [name, value] of optional) if (value !== undefined) headers[name] = value;
  for (const [name, value] of Object.entries(meta.metadata ?? {})) headers[`x-amz-meta-${name}`] = value;
  return headers;
}

async function putObject(
  objects: ObjectStore,
  bucket: string,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (header(req, 'x-amz-copy-source')) throw notImplemented('CopyObject');
  let body = await readBody(req);
  let trailers: Record<string, string> = {};
  const encoding = (header(req, 'content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (encoding.includes('aws-chunked') || header(req, 'x-amz-content-sha256')?.startsWith('STREAMING-')) {
    try {
      ({ body, trailers } = decodeAwsChunked(body));
    } catch (err) {
      if (err instanceof ChunkEncodingError) throw new S3Error('IncompleteBody', err.message, 400);
      throw err;
    }
  }
  if (body.length > MAX_OBJECT_BYTES)
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400);
  const checksum = verifyChecksums(req, body, trailers);
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (name.startsWith('x-amz-meta-') && value !== undefined)
      metadata[name.slice('x-amz-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  const contentEncoding = encoding.filter((e) => e !== 'aws-chunked').join(',');
  const optional = {
    contentType: header(req, 'content-type'),
    contentEncoding: contentEncoding === '' ? undefined : contentEncoding,
    contentDisposition: header(req, 'content-disposition'),
    contentLanguage: header(req, 'content-language'),
    cacheControl: header(req, 'cache-control'),
    expires: header(req, 'expires'),
  };
  const meta: ObjectMeta = {
    size: body.length,
    etag: `"${createHash('md5').update(body).digest('hex')}"`,
    lastModified: Date.now(),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(checksum ? { checksum } : {}),
  };
  const ifNoneMatch = header(req, 'if-none-match');
  const ifMatch = header(req, 'if-match');
  const refused = await objects.put(bucket, key, body, meta, (current) => {
    if (ifNoneMatch === '*' && current) return preconditionFailed();
    if (ifMatch !== undefined) {
      if (!current) return noSuchKey(key);
      if (ifMatch !== '*' && ifMatch !== current.etag) return preconditionFailed();
    }
    return undefined;
  });
  if (refused) throw refused;
  res.writeHead(200, {
    ...requestHeaders(),
    etag: meta.etag,
    ...(checksum ? { [`x-amz-checksum-${checksum.algorithm}`]: checksum.value } : {}),
  });
  res.end();
}

async function getObject(
  objects: ObjectStore,
  bucket: string,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
  head: boolean,
): Promise<void> {
  const found: { meta: ObjectMeta; body?: Buffer } | undefined = head
    ? await objects.head(bucket, key).then((meta) => meta && { meta })
    : await objects.get(bucket, key);
  if (!found) throw noSuchKey(key);
  const { meta, body } = found;
  const headers = { ...requestHeaders(), ...objectHeaders(meta) };
  const range = /^bytes=(\d*)-(\d*)$/.exec(header(req, 'range') ?? '');
  if (range && (range[1] !== '' || range[2] !== '')) {
    const start = range[1] === '' ? Math.max(0, meta.size - Number(range[2])) : Number(range[1]);
    const end =
      range[1] === '' || range[2] === '' ? meta.size - 1 : Math.min(Number(range[2]), meta.size - 1);
    if (start >= meta.size || start > end)
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
        ActualObjectSize: String(meta.size),
      });
    res.writeHead(206, {
      ...headers,
      'content-range': `bytes ${start}-${end}/${meta.size}`,
      'content-length': end - start + 1,
    });
    res.end(body?.subarray(start, end + 1));
    return;
  }
  if (meta.checksum && header(req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    headers[`x-amz-checksum-${meta.checksum.algorithm}`] = meta.checksum.value;
    headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  res.writeHead(200, { ...headers, 'content-length': meta.size });
  res.end(body);
}

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

async function bucketOperation(
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
