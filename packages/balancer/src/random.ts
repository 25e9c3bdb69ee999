import { InvalidOptionError } from '@wayfinder/core';
import { createAliasTable, drawAlias, uniformWeights } from './alias-table.js';
import { type CandidateView, type CorePicker, type PolicyCore, endpointAt, isExcludedAt, nextAllowedIn } from './core.js';
import type { FastRandom } from './fast-random.js';
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

function retry(context: Parameters<CorePicker['pick']>[0], view: CandidateView, rng: FastRandom, first: number, draw: () => number): number {
  for (let k = 0; k < EXCLUDE_REDRAWS; k++) {
    const i = draw();
    if (!isExcludedAt(context, view, i)) return i;
  }
  return nextAllowedIn(context, view, rng.below(view.size), first);
}

export function randomCore(weighted: boolean): PolicyCore {
  return {
    name: 'random',
    create(env) {
      const rng = env.rng;
      return {
        build(candidates, _states, view): CorePicker {
          const weights = candidates.map((e) => e.weight);
          if (!weighted || uniformWeights(weights)) return new UniformPicker(view, weights[0] ?? 1, rng);
          const table = createAliasTable(weights);
          const n = table.prob.length;
          const prob = table.prob;
          const alias = table.alias;
          const draw = () => {
            const r = rng.next30();
            const i = ((r * n) / 1073741824) | 0;
            // The fraction of the same draw decides between the column and its alias.
            return (r * n) % 1073741824 < prob[i]! * 1073741824 ? i : alias[i]!;
          };
          return {
            pick(context) {
              const i = draw();
              if (context?.exclude === undefined || !isExcludedAt(context, view, i)) return i;
              return retry(context, view, rng, i, draw);
            },
          };
        },
        patch(previous, view, firstNew) {
          if (!(previous instanceof UniformPicker)) return undefined;
          const w = previous.weight;
          if (weighted) for (let i = firstNew; i < view.size; i++) if (endpointAt(view, i).weight !== w) return undefined;
          return new UniformPicker(view, w, rng);
        },
      };
    },
  };
}

