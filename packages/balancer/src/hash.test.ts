import { describe, expect, it } from 'vitest';
import { hashString, hashStringTo, mix32 } from './hash.js';

describe('hashString', () => {
  it('is deterministic and depends on the seed', () => {
    expect(hashString('tenant-42')).toBe(hashString('tenant-42'));
    expect(hashString('tenant-42', 1)).not.toBe(hashString('tenant-42'));
    expect(hashString('')).toBe(hashString(''));
  });

  it('never changes its values: replicas running different versions must map keys alike (pinned)', () => {
    const pinned: [string, number][] = [
      ['', 0],
      ['a', 1867108634],
      ['tenant-42', 2015880654],
      ['conversation-7', 2670917566],
      ['é漢字', 3427721437],
      ['key-123456789', 4057686267],
    ];
    for (const [key, value] of pinned) expect(hashString(key)).toBe(value);
    const out = new Uint32Array(1);
    hashStringTo('tenant-42', 0, out);
    expect(out[0]).toBe(2015880654);
  });

  it('spreads sequential keys evenly over 64 buckets (chi-square below the 99.9% bound)', () => {
    const buckets = new Array<number>(64).fill(0);
    const n = 64_000;
    for (let i = 0; i < n; i++) buckets[hashString(`key-${i}`) >>> 26]!++;
    const expected = n / 64;
    const chi = buckets.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(103.4); // χ²(63) at p = 0.001
  });

  it('flips about half the output bits when one input character changes (avalanche within 45–55%)', () => {
    let flipped = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) flipped += popcount(hashString(`k${i}a`) ^ hashString(`k${i}b`));
    expect(flipped / (n * 32)).toBeGreaterThan(0.45);
    expect(flipped / (n * 32)).toBeLessThan(0.55);
  });

  it('mix32 gives unsigned 32-bit values that differ by index', () => {
    const values = new Set(Array.from({ length: 1000 }, (_, i) => mix32(12345, i)));
    expect(values.size).toBe(1000);
    for (const v of values) expect(v >>> 0).toBe(v);
  });
});

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v; v &= v - 1) c++;
  return c;
}

describe('hashStringTo', () => {
  it('writes the same value as hashString', () => {
    const out = new Uint32Array(1);
    for (const [key, seed] of [['', 0], ['a', 0], ['tenant-42', 0], ['user-7919', 7], ['日本語キー', 3]] as const) {
      hashStringTo(key, seed, out);
      expect(out[0]).toBe(hashString(key, seed));
    }
  });
});
