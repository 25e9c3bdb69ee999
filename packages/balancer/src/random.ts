import { InvalidOptionError } from '@wayfinder/core';
import { createAliasTable, drawAlias, uniformWeights } from './alias-table.js';
import { type CorePicker, type PolicyCore, isExcluded, nextAllowed } from './core.js';
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

export function randomCore(weighted: boolean): PolicyCore {
  return {
    name: 'random',
    create(env) {
      const rnd = env.random;
      return {
        build(candidates): CorePicker {
          const n = candidates.length;
          const weights = candidates.map((e) => e.weight);
          if (!weighted || uniformWeights(weights)) {
            return {
              pick(context) {
                const i = (rnd() * n) | 0;
                if (context?.exclude === undefined || !isExcluded(context, candidates, i)) return i;
                return retry(context, i, () => (rnd() * n) | 0);
              },
            };
          }
          const table = createAliasTable(weights);
          return {
            pick(context) {
              const i = drawAlias(table, rnd());
              if (context?.exclude === undefined || !isExcluded(context, candidates, i)) return i;
              return retry(context, i, () => drawAlias(table, rnd()));
            },
          };
          function retry(context: Parameters<CorePicker['pick']>[0], first: number, draw: () => number): number {
            for (let k = 0; k < EXCLUDE_REDRAWS; k++) {
              const i = draw();
              if (!isExcluded(context, candidates, i)) return i;
            }
            return nextAllowed(context, candidates, (rnd() * n) | 0, first);
          }
        },
      };
    },
  };
}
