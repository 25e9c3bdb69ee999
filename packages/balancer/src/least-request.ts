import { InvalidOptionError } from '@wayfinder/core';
import { type CandidateView, CHUNK_BITS, CHUNK_MASK, type CorePicker, type PolicyCore, endpointAt, isExcludedAt, nextAllowedIn } from './core.js';
import type { FastRandom } from './fast-random.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';
import type { SlotTable } from './slots.js';

export interface LeastRequestOptions {
  /** Random candidates compared per pick. Default 2 (power of two choices). */
  choices?: number;
  /** With unequal weights, a candidate scores `weight / (active + 1)^activeRequestBias`. Default 1.0. */
  activeRequestBias?: number;
}

export const DEFAULT_CHOICES = 2;
export const DEFAULT_ACTIVE_REQUEST_BIAS = 1;

/**
 * Least request, as Envoy's `LEAST_REQUEST`
 * (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers#weighted-least-request):
 * draw `choices` random candidates and keep the one with the fewest in-flight calls (power of
 * two choices, Mitzenmacher 2001). With unequal weights the best score `weight / (active + 1)^bias`
 * wins (with equal weights that order is the order of in-flight counts). In-flight counts come
 * from `onStart` / `onEnd` and survive snapshots.
 *
 * @example
 * const result = leastRequest().create().build(set).pick();
 * if (result.type === 'endpoint') { result.onStart(); … result.onEnd({ ok: true, latencyMs }); }
 */
export function leastRequest(options: LeastRequestOptions = {}): PipelinePolicy {
  const choices = options.choices ?? DEFAULT_CHOICES;
  const bias = options.activeRequestBias ?? DEFAULT_ACTIVE_REQUEST_BIAS;
  if (!Number.isInteger(choices) || choices < 2) throw new InvalidOptionError('choices', choices, 'must be an integer ≥ 2');
  if (!(bias >= 0) || !Number.isFinite(bias)) throw new InvalidOptionError('activeRequestBias', bias, 'must be a number ≥ 0');
  return createPipelinePolicy(leastRequestCore(choices, bias));
}

class LeastRequestPicker implements CorePicker {
  constructor(
    readonly view: CandidateView,
    readonly slots: SlotTable,
    readonly rng: FastRandom,
    readonly choices: number,
    readonly bias: number,
    /** The common weight when every candidate has it (then only in-flight counts compare), else NaN. */
    readonly uniformWeight: number,
  ) {}

  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const view = this.view;
    const n = view.size;
    if (n === 1) return 0;
    const rng = this.rng;
    const slotChunks = view.slots;
    const active = this.slots.active;
    const weight = this.slots.weight;
    const excluding = context?.exclude !== undefined && context.exclude.size > 0;
    let best = rng.below(n);
    if (excluding && isExcludedAt(context, view, best)) best = nextAllowedIn(context, view, best, best);
    let bestSlot = slotChunks[best >> CHUNK_BITS]![best & CHUNK_MASK]!;
    if (this.choices === 2 && this.uniformWeight === this.uniformWeight) {
      // Equal weights, two choices: the fewer in flight wins (the first on a tie).
      let j = rng.below(n - 1);
      if (j >= best) j++;
      if (excluding && isExcludedAt(context, view, j)) return best;
      return active[slotChunks[j >> CHUNK_BITS]![j & CHUNK_MASK]!]! < active[bestSlot]! ? j : best;
    }
    for (let c = 1; c < this.choices; c++) {
      let j = rng.below(n - 1);
      if (j >= best) j++;
      if (excluding && isExcludedAt(context, view, j)) continue;
      const slot = slotChunks[j >> CHUNK_BITS]![j & CHUNK_MASK]!;
      // weight_j / (a_j + 1)^bias > weight_best / (a_best + 1)^bias, cross-multiplied for bias 1.
      // (All weights 0 only happens when nothing else is left: then they count as equal.)
      const wj = weight[slot]! || 1;
      const wb = weight[bestSlot]! || 1;
      const better =
        this.bias === 1
          ? wj * (active[bestSlot]! + 1) > wb * (active[slot]! + 1)
          : wj * Math.pow(active[bestSlot]! + 1, this.bias) > wb * Math.pow(active[slot]! + 1, this.bias);
      if (better) {
        best = j;
        bestSlot = slot;
      }
    }
    return best;
  }
}

export function leastRequestCore(choices: number, bias: number): PolicyCore {
  return {
    name: 'least-request',
    create(env) {
      return {
        build(candidates, _states, view) {
          const w = candidates[0]!.weight;
          const uniform = candidates.every((e) => e.weight === w);
          return new LeastRequestPicker(view, env.slots, env.rng, choices, bias, uniform ? w : Number.NaN);
        },
        patch(previous, view, firstNew) {
          let w = (previous as LeastRequestPicker).uniformWeight;
          for (let i = firstNew; i < view.size && w === w; i++) if (endpointAt(view, i).weight !== w) w = Number.NaN;
          return new LeastRequestPicker(view, env.slots, env.rng, choices, bias, w);
        },
      };
    },
  };
}
