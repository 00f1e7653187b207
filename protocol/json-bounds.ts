/**
 * How large and how deep a decoded device payload may be. Checked on the raw JSON text before it
 * is parsed (encoding.ts), in one pass with a fixed-size stack, so no input can make the decoder or
 * anything after it (schema validation, merge, cut, JSON.stringify — all recursive) overflow the
 * stack or run away with memory; and what is refused is refused with a reason, as a permanent error.
 *
 * Legitimate data is far inside these bounds: a full inventory is ~75 KB of JSON, nested about 6
 * levels deep (report → sections → section → collection → item → field), the largest collection
 * (installed packages of a big Linux host) holds a few thousand keys, and the longest strings
 * (install paths, service command lines, collector error reasons ≤ 1 KB) are well under 1 KB.
 */

export const JSON_BOUNDS = {
  /** Objects and arrays nested inside each other, the outermost counting as 1. */
  maxDepth: 64,
  /** Members of one object. */
  maxKeysPerObject: 20_000,
  /** Members of all objects in the payload together. */
  maxKeysTotal: 200_000,
  /** Elements of one array. */
  maxArrayLength: 20_000,
  /** UTF-8 bytes of one string (key or value), as written in the JSON text. */
  maxStringBytes: 32 * 1024,
} as const;

export type JsonBounds = { readonly [K in keyof typeof JSON_BOUNDS]: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

/**
 * Why `json` (UTF-8 JSON text) exceeds the bounds, or undefined when it does not. Counts only; the
 * syntax is JSON.parse's to check, so malformed text merely gets counted approximately.
 */
export function exceededJsonBound(json: Uint8Array, bounds: JsonBounds = JSON_BOUNDS): string | undefined {
  const isObject = new Uint8Array(bounds.maxDepth + 1);
  const count = new Uint32Array(bounds.maxDepth + 1);
  let depth = 0;
  let totalKeys = 0;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (byte === QUOTE) {
      const start = i + 1;
      for (i = start; i < json.length && json[i] !== QUOTE; i++) if (json[i] === BACKSLASH) i++;
      if (i - start > bounds.maxStringBytes) {
        return `a string of ${i - start} bytes at byte ${start} exceeds the limit of ${bounds.maxStringBytes}`;
      }
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth === bounds.maxDepth) {
        return `nesting deeper than ${bounds.maxDepth} levels at byte ${i}`;
      }
      depth++;
      isObject[depth] = byte === OPEN_OBJECT ? 1 : 0;
      count[depth] = 0;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (depth > 0) depth--;
    } else if (byte === COLON && depth > 0 && isObject[depth] === 1) {
      const keys = (count[depth] ?? 0) + 1;
      count[depth] = keys;
      if (keys > bounds.maxKeysPerObject) {
        return `an object with more than ${bounds.maxKeysPerObject} keys at byte ${i}`;
      }
      if (++totalKeys > bounds.maxKeysTotal) {
        return `more than ${bounds.maxKeysTotal} keys in total at byte ${i}`;
      }
    } else if (byte === COMMA && depth > 0 && isObject[depth] === 0) {
      // n commas separate n + 1 elements.
      const commas = (count[depth] ?? 0) + 1;
      count[depth] = commas;
      if (commas + 1 > bounds.maxArrayLength) {
        return `an array longer than ${bounds.maxArrayLength} elements at byte ${i}`;
      }
    }
  }
  return undefined;
}
