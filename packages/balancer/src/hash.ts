/**
 * Key hashing for the affinity policies: MurmurHash3 (x86, 32-bit) by Austin Appleby, a fast,
 * well-distributed, non-cryptographic hash (https://github.com/aappleby/smhasher). Applied to
 * the UTF-16 code units of the string (two per 32-bit block), so every process running
 * Wayfinder maps the same key to the same value without encoding it first.
 *
 * @example
 * hashString('tenant-42'); // the same 32-bit unsigned integer in every process
 */
export function hashString(key: string, seed = 0): number {
  hashStringTo(key, seed, scratch);
  return scratch[0]!;
}

const scratch = new Uint32Array(1);

/**
 * {@link hashString} written to `out[0]` (the same value): pick paths use it so the 32-bit
 * result, often beyond V8's small-integer range, is never boxed when the call is not inlined.
 */
export function hashStringTo(key: string, seed: number, out: Uint32Array): void {
  let h = seed >>> 0;
  const length = key.length;
  const blocks = length & ~1;
  let i = 0;
  for (; i < blocks; i += 2) {
    let k = (key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16)) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < length) {
    let k = key.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  out[0] = h;
}

/** MurmurHash3's finalizer: a bijective avalanche of a 32-bit integer. */
export function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A well-mixed 32-bit value derived from two integers (a hash and an index or seed). */
export function mix32(a: number, b: number): number {
  return fmix32((a ^ Math.imul(b + 1, 0x9e3779b9)) + Math.imul(b, 0x7feb352d));
}
