import { InvalidOptionError } from '@wayfinder/core';
import { uniformWeights } from './alias-table.js';
import { type CorePicker, type PolicyCore, isExcluded, nextAllowed } from './core.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';

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
 * wins. In-flight counts come from `onStart` / `onEnd` and survive snapshots.
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

export function leastRequestCore(choices: number, bias: number): PolicyCore {
  return {
    name: 'least-request',
    create(env) {
      const rnd = env.random;
      return {
        build(candidates, states): CorePicker {
          const n = candidates.length;
          if (n === 1) return { pick: () => 0 };
          const weighted = !uniformWeights(candidates.map((e) => e.weight));
          const weights = Float64Array.from(candidates, (e) => e.weight);
          const score = weighted
            ? bias === 1
              ? (i: number) => weights[i]! / (states[i]!.active + 1)
              : (i: number) => weights[i]! / Math.pow(states[i]!.active + 1, bias)
            : (i: number) => -states[i]!.active;
          return {
            pick(context) {
              const excluding = context?.exclude !== undefined && context.exclude.size > 0;
              let best = (rnd() * n) | 0;
              if (excluding && isExcluded(context, candidates, best)) best = nextAllowed(context, candidates, best, best);
              let bestScore = score(best);
              for (let c = 1; c < choices; c++) {
                let j = (rnd() * (n - 1)) | 0;
                if (j >= best) j++;
                if (excluding && isExcluded(context, candidates, j)) continue;
                const s = score(j);
                if (s > bestScore) {
                  best = j;
                  bestScore = s;
                }
              }
              return best;
            },
          };
        },
      };
    },
  };
}
