/**
 * The SQS/S3 emulator's disk: one LevelDB (classic-level) database. Every change is an atomic batch
 * written to LevelDB's log before the request that made it is answered, so whatever a client was
 * told succeeded survives kill -9 of the process (the log write reaches the OS before the answer;
 * only a power cut before the OS flushes could lose it, as with dynalite).
 *
 * Writes go through one queue, in the order they were made: LevelDB runs concurrent writes on a
 * thread pool, so a delete issued after a put could otherwise land first and bring a message back.
 * Writes that arrive while a batch is on its way are grouped into the next batch.
 */
import { ClassicLevel } from 'classic-level';

export type StoreOp =
  | { readonly type: 'put'; readonly key: string; readonly value: Buffer }
  | { readonly type: 'del'; readonly key: string };

export const putJson = (key: string, value: unknown): StoreOp => ({
  type: 'put',
  key,
  value: Buffer.from(JSON.stringify(value)),
});

export const del = (key: string): StoreOp => ({ type: 'del', key });

interface PendingWrite {
  readonly ops: readonly StoreOp[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class LevelStore {
  readonly #db: ClassicLevel<string, Buffer>;
  #queue: PendingWrite[] = [];
  #writing: Promise<void> | undefined;

  private constructor(db: ClassicLevel<string, Buffer>) {
    this.#db = db;
  }

  static async open(dir: string): Promise<LevelStore> {
    const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(
        /lock/i.test(cause)
          ? `${dir} is in use by another local cloud (${cause})`
          : `cannot open the SQS/S3 store in ${dir}: ${cause}`,
      );
    }
    return new LevelStore(db);
  }

  /** Resolves once `ops` (and every write made before them) is in LevelDB's log. */
  commit(ops: readonly StoreOp[]): Promise<void> {
    if (ops.length === 0) return this.#writing ?? Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue;
      this.#queue = [];
      try {
        await this.#db.batch(group.flatMap((w) => w.ops as StoreOp[]));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.#writing = undefined;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#db.get(key);
  }

  /** Several keys read from one snapshot. */
  getMany(keys: string[]): Promise<Array<Buffer | undefined>> {
    return this.#db.getMany(keys);
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const value = await this.#db.get(key);
    return value === undefined ? undefined : (JSON.parse(value.toString('utf8')) as T);
  }

  /** Entries whose key starts with `prefix`, from `from` (inclusive, default the prefix), in key order. */
  async *entries(prefix: string, from: string = prefix): AsyncGenerator<[string, Buffer]> {
    for await (const [key, value] of this.#db.iterator({ gte: from < prefix ? prefix : from })) {
      if (!key.startsWith(prefix)) break;
      yield [key, value];
    }
  }

  async close(): Promise<void> {
    await this.#writing;
    await this.#db.close();
  }
}
