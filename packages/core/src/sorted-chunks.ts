import type { Endpoint } from './endpoint.js';

/** Target chunk length; a chunk splits at twice this and disappears when empty. */
const CHUNK = 256;

/**
 * The members of a snapshot, sorted, in immutable chunks. A new snapshot that differs by one
 * endpoint shares every chunk but one with its parent, so applying a change to 10 000
 * endpoints copies about 256 references instead of 10 000 (and leaves no 80 KB array per change
 * for the garbage collector). The flat array of `EndpointSet.endpoints` is built on demand.
 */
export class SortedChunks implements Iterable<Endpoint> {
  readonly chunks: readonly (readonly Endpoint[])[];
  readonly size: number;

  constructor(chunks: readonly (readonly Endpoint[])[], size: number) {
    this.chunks = chunks;
    this.size = size;
  }

  static from(sorted: readonly Endpoint[]): SortedChunks {
    const chunks: (readonly Endpoint[])[] = [];
    for (let i = 0; i < sorted.length; i += CHUNK) chunks.push(Object.freeze(sorted.slice(i, i + CHUNK)));
    return new SortedChunks(Object.freeze(chunks), sorted.length);
  }

  toArray(): Endpoint[] {
    const out = new Array<Endpoint>(this.size);
    let k = 0;
    for (const chunk of this.chunks) for (let i = 0; i < chunk.length; i++) out[k++] = chunk[i]!;
    return out;
  }

  *[Symbol.iterator](): Iterator<Endpoint> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** A copy-on-write editor; `finish()` gives the new chunks (this object is not changed). */
  edit(compare: (a: Endpoint, b: Endpoint) => number): ChunkEditor {
    return new ChunkEditor(this, compare);
  }
}

export class ChunkEditor {
  readonly #chunks: (readonly Endpoint[])[];
  readonly #fresh = new Set<readonly Endpoint[]>();
  readonly #compare: (a: Endpoint, b: Endpoint) => number;
  #size: number;

  constructor(from: SortedChunks, compare: (a: Endpoint, b: Endpoint) => number) {
    this.#chunks = Array.from(from.chunks);
    this.#size = from.size;
    this.#compare = compare;
  }

  /** Removes `e` (which must be present, at its sorted position). */
  remove(e: Endpoint): void {
    const c = this.#chunkFor(e);
    const chunk = c < 0 ? undefined : this.#chunks[c];
    const i = chunk ? position(chunk, e, this.#compare) : -1;
    if (!chunk || chunk[i]?.id !== e.id) throw new Error(`endpoint ${e.id} not found in its sorted position`);
    if (chunk.length === 1) {
      this.#chunks.splice(c, 1);
    } else {
      const copy = this.#writable(c);
      copy.splice(i, 1);
    }
    this.#size--;
  }

  /** Inserts `e` at its sorted position. */
  insert(e: Endpoint): void {
    if (this.#chunks.length === 0) {
      const chunk = [e];
      this.#fresh.add(chunk);
      this.#chunks.push(chunk);
      this.#size++;
      return;
    }
    let c = this.#chunkFor(e);
    if (c < 0) c = this.#chunks.length - 1;
    const copy = this.#writable(c);
    copy.splice(position(copy, e, this.#compare), 0, e);
    if (copy.length >= 2 * CHUNK) {
      const tail = copy.splice(CHUNK);
      this.#fresh.add(tail);
      this.#chunks.splice(c + 1, 0, tail);
    }
    this.#size++;
  }

  finish(): SortedChunks {
    for (const chunk of this.#chunks) if (this.#fresh.has(chunk)) Object.freeze(chunk);
    return new SortedChunks(Object.freeze(this.#chunks), this.#size);
  }

  /** The first chunk whose last endpoint sorts at or after `e`, or -1 when `e` is past them all. */
  #chunkFor(e: Endpoint): number {
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.#chunks[mid]!;
      if (this.#compare(chunk[chunk.length - 1]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.#chunks.length ? lo : -1;
  }

  #writable(c: number): Endpoint[] {
    const chunk = this.#chunks[c]!;
    if (this.#fresh.has(chunk)) return chunk as Endpoint[];
    const copy = Array.from(chunk); // slice() of a frozen array is ~20× slower in V8
    this.#fresh.add(copy);
    this.#chunks[c] = copy;
    return copy;
  }
}

/** First index in `chunk` whose endpoint sorts at or after `e`. */
function position(chunk: readonly Endpoint[], e: Endpoint, compare: (a: Endpoint, b: Endpoint) => number): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(chunk[mid]!, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
