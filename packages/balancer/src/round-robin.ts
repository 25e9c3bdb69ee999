import { type Endpoint, compareEndpoints } from '@wayfinder/core';
import { uniformWeights } from './alias-table.js';
import { type CorePicker, type PolicyCore, isExcluded, nextAllowed } from './core.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';

/** Weights are scaled to this (gRPC's static stride scheduler keeps 16 bits). */
const MAX_WEIGHT = 65_535;
const OFFSET = (MAX_WEIGHT / 2) | 0;

/**
 * Round robin. Equal weights rotate through the snapshot's order; unequal weights use gRPC's
 * static stride scheduler (https://github.com/grpc/proposal/blob/master/A58-client-side-weighted-round-robin-lb-policy.md),
 * which interleaves picks smoothly like nginx's smooth weighted round robin but in O(1)
 * expected time per pick instead of O(N). The rotation continues after the last endpoint
 * picked when a new snapshot arrives (it does not restart at the first one).
 *
 * @example
 * const picker = roundRobin().create().build(set);
 * picker.pick(); // a, then b, then c, then a …
 */
export function roundRobin(): PipelinePolicy {
  return createPipelinePolicy(roundRobinCore());
}

export function roundRobinCore(): PolicyCore {
  return {
    name: 'round-robin',
    create() {
      let last: Endpoint | undefined;
      let generation = 0;
      let current: { candidates: readonly Endpoint[]; lastIndex(): number } | undefined;
      return {
        build(candidates): CorePicker {
          if (current !== undefined) {
            const i = current.lastIndex();
            if (i >= 0) last = current.candidates[i];
          }
          const n = candidates.length;
          const start = last === undefined ? 0 : firstAfter(candidates, last);
          const weights = candidates.map((e) => e.weight);
          if (uniformWeights(weights)) {
            let next = start;
            let picked = -1;
            current = { candidates, lastIndex: () => picked };
            return {
              pick(context) {
                let i = next;
                if (context?.exclude !== undefined && isExcluded(context, candidates, i)) i = nextAllowed(context, candidates, i, i);
                next = i + 1 === n ? 0 : i + 1;
                picked = i;
                return i;
              },
            };
          }
          let max = 0;
          for (const w of weights) if (w > max) max = w;
          const scaled = Int32Array.from(weights, (w) => Math.max(1, Math.round((w / max) * MAX_WEIGHT)));
          const period = n * MAX_WEIGHT;
          let seq = (generation % MAX_WEIGHT) * n + start;
          let picked = -1;
          current = { candidates, lastIndex: () => picked };
          return {
            pick(context) {
              const excluding = context?.exclude !== undefined && context.exclude.size > 0;
              for (let tries = 0; ; tries++) {
                const s = seq;
                seq = s + 1 === period ? 0 : s + 1;
                const b = s % n;
                const gen = (s - b) / n;
                generation = gen;
                const w = scaled[b]!;
                if ((w * gen + b * OFFSET) % MAX_WEIGHT < MAX_WEIGHT - w) continue;
                if (excluding && isExcluded(context, candidates, b)) {
                  if (tries < 4 * n) continue;
                  picked = nextAllowed(context, candidates, b, b);
                  return picked;
                }
                picked = b;
                return b;
              }
            },
          };
        },
      };
    },
  };
}

/** Index of the first candidate ordered after `last` (wrapping to 0). */
function firstAfter(candidates: readonly Endpoint[], last: Endpoint): number {
  let lo = 0;
  let hi = candidates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEndpoints(candidates[mid]!, last) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo === candidates.length ? 0 : lo;
}
