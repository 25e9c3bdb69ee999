/**
 * Vose's alias method: O(N) to build, O(1) and one random number per weighted draw
 * (https://www.keithschwarz.com/darts-dice-coins/).
 */
export interface AliasTable {
  readonly prob: Float64Array;
  readonly alias: Int32Array;
}

/** Builds the table; weights must be non-negative with a positive sum. */
export function createAliasTable(weights: ArrayLike<number>): AliasTable {
  const n = weights.length;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]!;
  const scaled = new Float64Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let s = 0;
  let l = 0;
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / sum;
    if (scaled[i]! < 1) small[s++] = i;
    else large[l++] = i;
  }
  while (s > 0 && l > 0) {
    const less = small[--s]!;
    const more = large[--l]!;
    prob[less] = scaled[less]!;
    alias[less] = more;
    scaled[more] = scaled[more]! + scaled[less]! - 1;
    if (scaled[more]! < 1) small[s++] = more;
    else large[l++] = more;
  }
  while (l > 0) {
    const i = large[--l]!;
    prob[i] = 1;
    alias[i] = i;
  }
  while (s > 0) {
    const i = small[--s]!;
    prob[i] = 1;
    alias[i] = i;
  }
  return { prob, alias };
}

/** One weighted draw from `u` in [0, 1). */
export function drawAlias(table: AliasTable, u: number): number {
  const x = u * table.prob.length;
  const i = x | 0;
  return x - i < table.prob[i]! ? i : table.alias[i]!;
}

/** True when every weight is the same (the uniform fast path applies). */
export function uniformWeights(weights: ArrayLike<number>): boolean {
  for (let i = 1; i < weights.length; i++) if (weights[i] !== weights[0]) return false;
  return true;
}
