/**
 * Randomness, injected: a function returning a float in [0, 1), like `Math.random`.
 * Pass {@link seededRandom} in tests and simulations for reproducible runs.
 */
export type Random = () => number;

/**
 * A fast seeded generator (mulberry32, public domain). Not for cryptography.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // always the same sequence for seed 42
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
