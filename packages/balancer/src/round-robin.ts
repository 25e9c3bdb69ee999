import { type Endpoint, compareEndpoints } from '@wayfinder/core';
import { uniformWeights } from './alias-table.js';
import { type CandidateView, type CorePicker, type PolicyCore, endpointAt, isExcluded, isExcludedAt, nextAllowed, nextAllowedIn } from './core.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';

/** Weights are scaled to this (gRPC's static stride scheduler keeps 16 bits). */
const MAX_WEIGHT = 65_535;
const OFFSET = (MAX_WEIGHT / 2) | 0;

/**
 * Round robin. Equal weights rotate through the snapshot's order; unequal weights use gRPC's
 * static stride scheduler (https://github.com/grpc/proposal/blob/master/A58-client-side-weighted-round-robin-lb-policy.md),
 * which interleaves picks smoothly like nginx's smooth weighted round robin but in O(1)
 * expected time per pick instead of O(N). The rotation continues after the last endpoint
 * picked when a new snapshot arrives (it does not restart at the first one). With equal
 * weights, a snapshot derived from the previous one by a few changes is applied in O(1): the
 * last candidate takes a departed one's place in the rotation and newcomers join at its end.
 *
 * @example
 * const picker = roundRobin().create().build(set);
 * picker.pick(); // a, then b, then c, then a …
 */
export function roundRobin(): PipelinePolicy {
  return createPipelinePolicy(roundRobinCore());
}

interface Rotation extends CorePicker {
  /** The endpoint picked last, if any. */
  lastPicked(): Endpoint | undefined;
}

class UniformRotation implements Rotation {
  next: number;
  picked = -1;
  constructor(
    readonly view: CandidateView,
    start: number,
    readonly weight: number,
  ) {
    this.next = start;
  }
  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const view = this.view;
    let i = this.next;
    if (context?.exclude !== undefined && isExcludedAt(context, view, i)) i = nextAllowedIn(context, view, i, i);
    this.next = i + 1 === view.size ? 0 : i + 1;
    this.picked = i;
    return i;
  }
  lastPicked(): Endpoint | undefined {
    return this.picked < 0 ? undefined : endpointAt(this.view, this.picked);
  }
}

export function roundRobinCore(): PolicyCore {
  return {
    name: 'round-robin',
    create() {
      let last: Endpoint | undefined;
      let generation = 0;
      let current: Rotation | undefined;
      return {
        build(candidates, _states, view): CorePicker {
          last = current?.lastPicked() ?? last;
          const n = candidates.length;
          const start = last === undefined ? 0 : firstAfter(candidates, last);
          const weights = candidates.map((e) => e.weight);
          if (uniformWeights(weights)) {
            current = new UniformRotation(view, start, weights[0]!);
            return current;
          }
          let max = 0;
          for (const w of weights) if (w > max) max = w;
          const scaled = Int32Array.from(weights, (w) => Math.max(1, Math.round((w / max) * MAX_WEIGHT)));
          const period = n * MAX_WEIGHT;
          let seq = (generation % MAX_WEIGHT) * n + start;
          let picked = -1;
          const rotation: Rotation = {
            lastPicked: () => (picked < 0 ? undefined : candidates[picked]),
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
          current = rotation;
          return rotation;
        },
        // Incremental updates keep the rotation where it was: a departed endpoint's place is
        // taken by the last one, newcomers join at the end, each still comes once per cycle.
        patch(previous, view, firstNew) {
          if (!(previous instanceof UniformRotation)) return undefined;
          for (let i = firstNew; i < view.size; i++) if (endpointAt(view, i).weight !== previous.weight) return undefined;
          last = previous.lastPicked() ?? last;
          current = new UniformRotation(view, previous.next < view.size ? previous.next : 0, previous.weight);
          return current;
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
