/** Object operations: PutObject (plain or aws-chunked, checksums verified), GetObject, HeadObject. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { ChunkEncodingError, decodeAwsChunked } from './aws-chunked.ts';
import type { ObjectMeta, ObjectStore } from './objects.ts';
import { header, httpDate, MAX_OBJECT_BYTES, noSuchKey, notImplemented, readBody } from './request.ts';
import { requestHeaders, S3Error } from './xml.ts';

const preconditionFailed = (): S3Error =>
  new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
    Condition: 'If-None-Match',
  });

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

export async function putObject(
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

export async function getObject(
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
