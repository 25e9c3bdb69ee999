import { InvalidOptionError } from '@wayfinder/core';
import { createAliasTable, uniformWeights } from './alias-table.js';
import { type CandidateView, CHUNK_BITS, CHUNK_MASK, type CorePicker, type PolicyCore, endpointAt, isExcludedAt, nextAllowedIn, slotAt } from './core.js';
import type { FastRandom } from './fast-random.js';
import type { SlotTable } from './slots.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';

export interface RandomOptions {
  /** Honour endpoint weights (SRV, registry weights). Default true; equal weights use the uniform path. */
  weighted?: boolean;
}

/** Redraws before falling back to a scan when the drawn endpoint is excluded. */
const EXCLUDE_REDRAWS = 4;

/**
 * Random choice: uniform (kube-proxy's default for a Service) or weighted by `endpoint.weight`
 * through Vose's alias method, O(1) and one random number per pick
 * (https://www.keithschwarz.com/darts-dice-coins/).
 *
 * @example
 * const balancer = random().create({ random: seededRandom(1) });
 * const result = balancer.build(set).pick();
 */
export function random(options: RandomOptions = {}): PipelinePolicy {
  if (options.weighted !== undefined && typeof options.weighted !== 'boolean') {
    throw new InvalidOptionError('weighted', options.weighted, 'must be a boolean');
  }
  return createPipelinePolicy(randomCore(options.weighted ?? true));
}

class UniformPicker implements CorePicker {
  constructor(
    readonly view: CandidateView,
    readonly weight: number,
    readonly rng: FastRandom,
  ) {}
  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const n = this.view.size;
    const i = this.rng.below(n);
    if (context?.exclude === undefined || !isExcludedAt(context, this.view, i)) return i;
    return retry(context, this.view, this.rng, i, () => this.rng.below(n));
  }
}

/**
 * Weighted random over a patched view (no alias table to rebuild): a uniform draw accepted with
 * probability weight / maxWeight, exact for any bound ≥ the largest weight. Used only while
 * the mean weight is at least a quarter of the bound (≥ 25% acceptance per draw).
 */
class RejectionPicker implements CorePicker {
  constructor(
    readonly view: CandidateView,
    readonly weights: SlotTable,
    readonly maxWeight: number,
    readonly totalWeight: number,
    readonly rng: FastRandom,
  ) {}
  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const i = this.#draw();
    if (context?.exclude === undefined || !isExcludedAt(context, this.view, i)) return i;
    return retry(context, this.view, this.rng, i, () => this.#draw());
  }
  #draw(): number {
    const view = this.view;
    const n = view.size;
    const weight = this.weights.weight;
    for (let tries = 0; tries < 64; tries++) {
      const i = this.rng.below(n);
      if (this.rng.next30() * this.maxWeight < weight[view.slots[i >> CHUNK_BITS]![i & CHUNK_MASK]!]! * 1073741824) return i;
    }
    // Vanishingly rare (below 1e-8): an exact scan over the cumulative weights.
    let r = (this.rng.next30() / 1073741824) * this.totalWeight;
    for (let i = 0; i < n; i++) {
      r -= weight[slotAt(view, i)]!;
      if (r < 0) return i;
    }
    return n - 1;
  }
}

function retry(context: Parameters<CorePicker['pick']>[0], view: CandidateView, rng: FastRandom, first: number, draw: () => number): number {
  for (let k = 0; k < EXCLUDE_REDRAWS; k++) {
    const i = draw();
    if (!isExcludedAt(context, view, i)) return i;
  }
  return nextAllowedIn(context, view, rng.below(view.size), first);
}

/**
 * The alias-table picker of a full build, with the weight total and maximum patches start from.
 * Column i's acceptance threshold (its probability scaled to 2^30) and its alias sit side by
 * side in one Int32Array, so a draw reads one cache line even when the table is megabytes.
 */
class AliasPicker implements CorePicker {
  readonly #table: Int32Array;
  readonly #n: number;
  constructor(
    readonly view: CandidateView,
    readonly maxWeight: number,
    readonly totalWeight: number,
    table: { prob: Float64Array; alias: Int32Array },
    readonly rng: FastRandom,
  ) {
    const n = table.prob.length;
    const packed = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      packed[2 * i] = Math.min(TWO_30, Math.round(table.prob[i]! * TWO_30));
      packed[2 * i + 1] = table.alias[i]!;
    }
    this.#table = packed;
    this.#n = n;
  }
  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const i = this.#draw();
    if (context?.exclude === undefined || !isExcludedAt(context, this.view, i)) return i;
    return retry(context, this.view, this.rng, i, () => this.#draw());
  }
  #draw(): number {
    // One 30-bit draw: its high part picks the column, the rest decides column or alias.
    const x = this.rng.next30() * this.#n;
    const i = (x * INV_TWO_30) | 0;
    return x - i * TWO_30 < this.#table[2 * i]! ? i : this.#table[2 * i + 1]!;
  }
}

const TWO_30 = 1073741824;
const INV_TWO_30 = 1 / TWO_30;

export function randomCore(weighted: boolean): PolicyCore {
  return {
    name: 'random',
    create(env) {
      const rng = env.rng;
      return {
        build(candidates, _states, view): CorePicker {
          const weights = candidates.map((e) => e.weight);
          if (!weighted || uniformWeights(weights)) return new UniformPicker(view, weights[0] ?? 1, rng);
          let max = 0;
          let total = 0;
          for (const w of weights) {
            total += w;
            if (w > max) max = w;
          }
          return new AliasPicker(view, max, total, createAliasTable(weights), rng);
        },
        patch(previous, view, firstNew, left) {
          if (previous instanceof UniformPicker) {
            const w = previous.weight;
            let uniform = true;
            if (weighted) for (let i = firstNew; i < view.size; i++) if (endpointAt(view, i).weight !== w) uniform = false;
            if (uniform) return new UniformPicker(view, w, rng);
            if (!weighted) return new UniformPicker(view, w, rng);
          }
          if (!weighted) return undefined;
          // Weighted: track the total and an upper bound of the largest weight through the delta.
          let max: number;
          let total: number;
          if (previous instanceof UniformPicker) {
            max = previous.weight;
            total = previous.weight * (firstNew + left.length);
          } else if (previous instanceof AliasPicker || previous instanceof RejectionPicker) {
            max = previous.maxWeight;
            total = previous.totalWeight;
          } else return undefined;
          for (const e of left) total -= e.weight;
          for (let i = firstNew; i < view.size; i++) {
            const w = endpointAt(view, i).weight;
            total += w;
            if (w > max) max = w;
          }
          if (!(total > 0) || max * view.size > 4 * total) return undefined;
          return new RejectionPicker(view, env.slots, max, total, rng);
        },
      };
    },
  };
}

