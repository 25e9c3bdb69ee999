import { type Endpoint, compareEndpoints } from '@wayfinder/core';
import { uniformWeights } from './alias-table.js';
import { type CandidateView, CHUNK_BITS, CHUNK_MASK, type CorePicker, type PolicyCore, endpointAt, isExcludedAt, nextAllowedIn, slotAt } from './core.js';
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

/** gRPC's static stride scheduler over a view; scaled weights are read by slot. */
class StrideRotation implements Rotation {
  seq: number;
  generation: number;
  picked = -1;
  readonly period: number;
  constructor(
    readonly view: CandidateView,
    readonly scaledOfSlot: Int32Array,
    readonly maxWeight: number,
    generation: number,
    start: number,
    /** Scaled weights by candidate index (full builds): one read less per step than by slot. */
    readonly scaledByIndex: Int32Array | undefined = undefined,
  ) {
    this.generation = generation;
    this.period = view.size * MAX_WEIGHT;
    this.seq = (generation % MAX_WEIGHT) * view.size + start;
  }
  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const view = this.view;
    const n = view.size;
    const scaled = this.scaledOfSlot;
    const byIndex = this.scaledByIndex;
    const excluding = context?.exclude !== undefined && context.exclude.size > 0;
    for (let tries = 0; ; tries++) {
      const s = this.seq;
      this.seq = s + 1 === this.period ? 0 : s + 1;
      const b = s % n;
      const gen = (s - b) / n;
      this.generation = gen;
      const w = byIndex !== undefined ? byIndex[b]! : scaled[view.slots[b >> CHUNK_BITS]![b & CHUNK_MASK]!]!;
      if ((w * gen + b * OFFSET) % MAX_WEIGHT < MAX_WEIGHT - w) continue;
      if (excluding && isExcludedAt(context, view, b)) {
        if (tries < 4 * n) continue;
        this.picked = nextAllowedIn(context, view, b, b);
        return this.picked;
      }
      this.picked = b;
      return b;
    }
  }
  lastPicked(): Endpoint | undefined {
    return this.picked < 0 ? undefined : endpointAt(this.view, this.picked);
  }
}

export function roundRobinCore(): PolicyCore {
  return {
    name: 'round-robin',
    create(env) {
      let last: Endpoint | undefined;
      let generation = 0;
      let current: Rotation | undefined;
      const scale = (w: number, max: number) => Math.max(1, Math.round((w / max) * MAX_WEIGHT));
      return {
        build(candidates, states, view): CorePicker {
          last = current?.lastPicked() ?? last;
          if (current instanceof StrideRotation) generation = current.generation;
          const start = last === undefined ? 0 : firstAfter(candidates, last);
          const weights = candidates.map((e) => e.weight);
          if (uniformWeights(weights)) {
            current = new UniformRotation(view, start, weights[0]!);
            return current;
          }
          let max = 0;
          for (const w of weights) if (w > max) max = w;
          // A fresh table per full build; patches add the scaled weights of joining endpoints to it.
          const scaled = new Int32Array(env.slots.active.length);
          const byIndex = new Int32Array(candidates.length);
          for (let i = 0; i < candidates.length; i++) scaled[states[i]!.slot] = byIndex[i] = scale(weights[i]!, max);
          current = new StrideRotation(view, scaled, max, generation, start, byIndex);
          return current;
        },
        // Incremental updates keep the rotation where it was: a departed endpoint's place is
        // taken by the last one, newcomers join at the end, each still comes once per cycle.
        patch(previous, view, firstNew) {
          if (previous instanceof UniformRotation) {
            for (let i = firstNew; i < view.size; i++) if (endpointAt(view, i).weight !== previous.weight) return undefined;
            last = previous.lastPicked() ?? last;
            current = new UniformRotation(view, previous.next < view.size ? previous.next : 0, previous.weight);
            return current;
          }
          if (!(previous instanceof StrideRotation)) return undefined;
          let scaled = previous.scaledOfSlot;
          for (let i = firstNew; i < view.size; i++) {
            const w = endpointAt(view, i).weight;
            if (w > previous.maxWeight) return undefined;
            const slot = slotAt(view, i);
            if (slot >= scaled.length) {
              const grown = new Int32Array(Math.max(slot + 1, scaled.length * 2));
              grown.set(scaled);
              scaled = grown;
            }
            scaled[slot] = scale(w, previous.maxWeight);
          }
          last = previous.lastPicked() ?? last;
          const n = previous.period / MAX_WEIGHT;
          const b = previous.seq % n;
          current = new StrideRotation(view, scaled, previous.maxWeight, previous.generation, b < view.size ? b : 0);
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
