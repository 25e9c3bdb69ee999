import type { PickedEndpoint } from '@wayfinder/core';
import { type CandidateView, CHUNK_BITS, CHUNK_MASK } from './core.js';

const CHUNK = 1 << CHUNK_BITS;

/** A {@link CandidateView} over a full candidate list (O(N), the slow path). */
export function createCandidateView(slots: ArrayLike<number>, results: readonly PickedEndpoint[]): CandidateView {
  const n = results.length;
  const slotChunks: number[][] = [];
  const resultChunks: PickedEndpoint[][] = [];
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const s: number[] = [];
    const r: PickedEndpoint[] = [];
    for (let i = start; i < end; i++) {
      s.push(slots[i]!);
      r.push(results[i]!);
    }
    slotChunks.push(s);
    resultChunks.push(r);
  }
  return { size: n, slots: slotChunks, results: resultChunks };
}

/**
 * Copy-on-write edits of a {@link CandidateView}: the chunk directory is copied once, each chunk
 * at its first write, so removing (swap with the last) or appending one candidate of 10 000
 * copies about 40 pointers and 256 entries; the original view is never modified. Chunks are
 * plain arrays of small integers, not typed arrays: copying one stays on the JS heap.
 */
export class CandidateListEditor {
  size: number;
  readonly #slots: number[][];
  readonly #results: PickedEndpoint[][];
  /** Chunks already copied by this editor (a patch touches one or two). */
  readonly #owned: number[] = [];

  constructor(base: CandidateView) {
    this.size = base.size;
    this.#slots = base.slots.slice() as number[][];
    this.#results = base.results.slice() as PickedEndpoint[][];
  }

  endpointAt(i: number): PickedEndpoint['endpoint'] {
    return this.#results[i >> CHUNK_BITS]![i & CHUNK_MASK]!.endpoint;
  }

  slotAt(i: number): number {
    return this.#slots[i >> CHUNK_BITS]![i & CHUNK_MASK]!;
  }

  /** Removes candidate `i` by moving the last one into its place; returns the moved slot (or -1). */
  swapRemove(i: number): number {
    const last = this.size - 1;
    let moved = -1;
    if (i !== last) {
      const c = this.#own(i >> CHUNK_BITS);
      const lc = last >> CHUNK_BITS;
      moved = this.#slots[lc]![last & CHUNK_MASK]!;
      this.#slots[c]![i & CHUNK_MASK] = moved;
      this.#results[c]![i & CHUNK_MASK] = this.#results[lc]![last & CHUNK_MASK]!;
    }
    this.size = last;
    if ((last & CHUNK_MASK) === 0) {
      this.#slots.length = last >> CHUNK_BITS;
      this.#results.length = last >> CHUNK_BITS;
    }
    return moved;
  }

  /** Appends a candidate; returns its index. */
  append(slot: number, result: PickedEndpoint): number {
    const i = this.size;
    const c = i >> CHUNK_BITS;
    if (c === this.#slots.length) {
      this.#slots.push([]);
      this.#results.push([]);
      this.#owned.push(c);
    } else {
      this.#own(c);
    }
    this.#slots[c]![i & CHUNK_MASK] = slot;
    this.#results[c]![i & CHUNK_MASK] = result;
    this.size = i + 1;
    return i;
  }

  finish(): CandidateView {
    return { size: this.size, slots: this.#slots, results: this.#results };
  }

  #own(c: number): number {
    if (!this.#owned.includes(c)) {
      this.#slots[c] = this.#slots[c]!.slice();
      this.#results[c] = this.#results[c]!.slice();
      this.#owned.push(c);
    }
    return c;
  }
}
