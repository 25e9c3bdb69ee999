import type { Random } from '@wayfinder/core';

/**
 * The pick path's randomness: mulberry32 (public domain) in Int32 arithmetic, its state in an
 * Int32Array, so a draw allocates nothing (calling an injected `() => number` that is not
 * inlined boxes its double result). Seeded from the injected `Random` once, so seeded tests and
 * simulations stay deterministic. Results stay within V8's small-integer range (30 bits), so
 * they are never boxed either, inlined or not.
 */
export class FastRandom {
  readonly #state = new Int32Array(1);

  constructor(random: Random) {
    this.#state[0] = (random() * 4294967296) ^ (random() * 65536);
  }

  /** A uniform integer in [0, 2^30). */
  next30(): number {
    const s = this.#state;
    const a = (s[0]! + 0x6d2b79f5) | 0;
    s[0] = a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 2;
  }

  /** A uniform integer in [0, n) for 0 < n ≤ 2^30 (multiply-shift on 32 random bits). */
  below(n: number): number {
    const s = this.#state;
    const a = (s[0]! + 0x6d2b79f5) | 0;
    s[0] = a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) * n) / 4294967296) | 0;
  }
}
