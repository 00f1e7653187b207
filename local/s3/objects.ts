/**
 * Buckets and objects in the store: an object's metadata and its bytes are written in one atomic
 * batch, under keys that sort like S3 lists (UTF-8 binary order), so a listing is a range scan.
 */
import { del, type LevelStore, putJson, type StoreOp } from '../level-store.ts';

export interface ObjectMeta {
  readonly size: number;
  /** Quoted MD5 hex, as S3 sends it. */
  readonly etag: string;
  readonly lastModified: number;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly contentDisposition?: string;
  readonly contentLanguage?: string;
  readonly cacheControl?: string;
  readonly expires?: string;
  readonly metadata?: Record<string, string>;
  /** The checksum the writer sent and we verified, returned when a reader asks for it. */
  readonly checksum?: { readonly algorithm: string; readonly value: string };
}

export interface ListInput {
  readonly prefix: string;
  readonly delimiter?: string;
  /** Keys (and common prefixes) strictly after this one. */
  readonly after?: string;
  readonly maxKeys: number;
}

export interface ListOutput {
  readonly contents: Array<{ key: string; meta: ObjectMeta }>;
  readonly commonPrefixes: string[];
  /** Set when more follow: the last key or common prefix returned. */
  readonly next?: string;
}

const bucketKey = (bucket: string): string => `s3/b/${bucket}`;
const metaPrefix = (bucket: string): string => `s3/o/${bucket}/`;
const dataKey = (bucket: string, key: string): string => `s3/d/${bucket}/${key}`;

export class ObjectStore {
  readonly #store: LevelStore;
  readonly #buckets = new Map<string, number>();
  /** Writes of one key in turn, so a conditional put sees the outcome of the write before it. */
  readonly #keyLocks = new Map<string, Promise<unknown>>();

  private constructor(store: LevelStore) {
    this.#store = store;
  }

  static async open(store: LevelStore): Promise<ObjectStore> {
    const objects = new ObjectStore(store);
    for await (const [key, value] of store.entries('s3/b/'))
      objects.#buckets.set(
        key.slice('s3/b/'.length),
        (JSON.parse(value.toString('utf8')) as { createdAt: number }).createdAt,
      );
    return objects;
  }

  hasBucket(bucket: string): boolean {
    return this.#buckets.has(bucket);
  }

  buckets(): Array<{ name: string; createdAt: number }> {
    return [...this.#buckets]
      .map(([name, createdAt]) => ({ name, createdAt }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** False when it already exists. */
  async createBucket(bucket: string): Promise<boolean> {
    if (this.#buckets.has(bucket)) return false;
    const createdAt = Date.now();
    this.#buckets.set(bucket, createdAt);
    await this.#store.commit([putJson(bucketKey(bucket), { createdAt })]);
    return true;
  }

  /** False when the bucket is not empty. */
  async deleteBucket(bucket: string): Promise<boolean> {
    for await (const _ of this.#store.entries(metaPrefix(bucket))) return false;
    this.#buckets.delete(bucket);
    await this.#store.commit([del(bucketKey(bucket))]);
    return true;
  }

  head(bucket: string, key: string): Promise<ObjectMeta | undefined> {
    return this.#store.getJson<ObjectMeta>(metaPrefix(bucket) + key);
  }

  async get(bucket: string, key: string): Promise<{ meta: ObjectMeta; body: Buffer } | undefined> {
    // One getMany reads both from one snapshot: never one write's metadata with another's bytes.
    const [meta, body] = await this.#store.getMany([metaPrefix(bucket) + key, dataKey(bucket, key)]);
    if (!meta || !body) return undefined;
    return { meta: JSON.parse(meta.toString('utf8')) as ObjectMeta, body };
  }

  /**
   * Writes the object once `condition` (run after earlier writes of the key finished) accepts the
   * current metadata; returns what `condition` returned when it refused.
   */
  put<R>(
    bucket: string,
    key: string,
    body: Buffer,
    meta: ObjectMeta,
    condition: (current: ObjectMeta | undefined) => R | undefined = () => undefined,
  ): Promise<R | undefined> {
    return this.#locked(bucket, key, async () => {
      const refused = condition(await this.head(bucket, key));
      if (refused !== undefined) return refused;
      await this.#store.commit([
        putJson(metaPrefix(bucket) + key, meta),
        { type: 'put', key: dataKey(bucket, key), value: body },
      ]);
      return undefined;
    });
  }

  async delete(bucket: string, keys: readonly string[]): Promise<void> {
    const ops: StoreOp[] = keys.flatMap((key) => [del(metaPrefix(bucket) + key), del(dataKey(bucket, key))]);
    await Promise.all(keys.map((key) => this.#locked(bucket, key, async () => undefined)));
    await this.#store.commit(ops);
  }

  async list(bucket: string, input: ListInput): Promise<ListOutput> {
    const base = metaPrefix(bucket);
    const contents: ListOutput['contents'] = [];
    const commonPrefixes: string[] = [];
    const from = input.after !== undefined && input.after >= input.prefix ? input.after : input.prefix;
    let last: string | undefined;
    for await (const [storeKey, value] of this.#store.entries(base + input.prefix, base + from)) {
      const key = storeKey.slice(base.length);
      if (
        input.after !== undefined &&
        (key <= input.after ||
          (input.delimiter && input.after.endsWith(input.delimiter) && key.startsWith(input.after)))
      )
        continue;
      const cut = input.delimiter ? key.indexOf(input.delimiter, input.prefix.length) : -1;
      const entry = cut >= 0 ? key.slice(0, cut + (input.delimiter?.length ?? 0)) : key;
      if (cut >= 0 && entry === commonPrefixes.at(-1)) continue;
      if (contents.length + commonPrefixes.length >= input.maxKeys)
        return { contents, commonPrefixes, ...(last === undefined ? {} : { next: last }) };
      if (cut >= 0) commonPrefixes.push(entry);
      else contents.push({ key, meta: JSON.parse(value.toString('utf8')) as ObjectMeta });
      last = entry;
    }
    return { contents, commonPrefixes };
  }

  #locked<R>(bucket: string, key: string, run: () => Promise<R>): Promise<R> {
    const id = `${bucket}/${key}`;
    const previous = this.#keyLocks.get(id) ?? Promise.resolve();
    const result = previous.then(run, run);
    const settled = result.catch(() => undefined);
    this.#keyLocks.set(id, settled);
    void settled.then(() => {
      if (this.#keyLocks.get(id) === settled) this.#keyLocks.delete(id);
    });
    return result;
  }
}
