import type { CallOutcome, Clock, Endpoint, PickContext, PickedEndpoint, Random } from '@wayfinder/core';
import type { FastRandom } from './fast-random.js';
import type { SlotTable } from './slots.js';

/**
 * The extension contract between the shared balancing pipeline (`pipeline.ts`: readiness,
 * priority, panic, outlier detection, topology, call hooks) and one policy's algorithm.
 *
 * A {@link PolicyCore} sees only the candidates the pipeline kept, never an empty list, and
 * answers with an index into them. It must honour `context.exclude`: never return an excluded
 * endpoint while a candidate that is not excluded remains.
 */
export interface PolicyCore {
  readonly name: string;
  /** Sticky keeps serving-but-terminating endpoints as candidates for existing bindings. */
  readonly keepsServing?: boolean;
  create(env: CoreEnv): CoreBalancer;
}

export interface CoreEnv {
  readonly clock: Clock;
  /** The injected randomness; read only at `create()` (to seed {@link rng}) and on slow paths. */
  readonly random: Random;
  /** An integer PRNG seeded from `random` at `create()`: the pick path draws from it (no boxed doubles). */
  readonly rng: FastRandom;
  /** Hot per-endpoint numbers (in-flight, peak EWMA, weight) in typed arrays, indexed by `EndpointState.slot`. */
  readonly slots: SlotTable;
  /** `clock.now()` read at most once per event-loop turn (cached until the next microtask). */
  now(): number;
}

export interface CoreBalancer {
  /** Called once per candidate list; state the policy keeps across lists is keyed by endpoint id. */
  build(candidates: readonly Endpoint[], states: readonly EndpointState[], view: CandidateView): CorePicker;
  /**
   * Optional O(changes) path: a picker for `view`, which the pipeline derived from the view of
   * `previous` by swap-removals and appends (candidates at `firstNew` and after are new or
   * changed; `left` are the previous versions of the candidates removed, changed ones
   * included). Return undefined when the policy cannot patch (the pipeline then calls `build`).
   */
  patch?(previous: CorePicker, view: CandidateView, firstNew: number, left: readonly Endpoint[]): CorePicker | undefined;
  /** Learns from a finished call (after the pipeline decremented the in-flight count). */
  onEnd?(state: EndpointState, outcome: CallOutcome): void;
  close?(): void;
}

export interface CorePicker {
  /** An index into the candidates (never out of range: the list is not empty). */
  pick(context: PickContext | undefined): number;
}

/** Chunk size of {@link CandidateView} (copy-on-write patches copy one chunk, not the list). */
export const CHUNK_BITS = 8;
export const CHUNK_MASK = (1 << CHUNK_BITS) - 1;

/**
 * The candidates of one picker in chunks of 256: candidate `i` is `results[i >> 8][i & 255]`
 * and its slot `slots[i >> 8][i & 255]`. Immutable once handed to a picker.
 */
export interface CandidateView {
  readonly size: number;
  readonly slots: readonly (readonly number[])[];
  readonly results: readonly (readonly PickedEndpoint[])[];
}

/** Per-endpoint state kept by the balancer across snapshots (keyed by endpoint id). */
export interface EndpointState {
  readonly id: string;
  /** Index into the {@link SlotTable} arrays (in-flight count, EWMA, weight). */
  readonly slot: number;
  endpoint: Endpoint;
  /** True once the state left the balancer (its slot may be reused): late hooks are ignored. */
  released: boolean;
  consecutiveFailures: number;
  /** Times ejected so far (ejection time grows with it). */
  ejections: number;
  /** 0 when not ejected. */
  ejectedUntilMs: number;
  /** Preallocated pick results (normal and panic), rebuilt when the endpoint object changes. */
  result: PickedEndpoint | undefined;
  panicResult: PickedEndpoint | undefined;
}

export function endpointAt(view: CandidateView, i: number): Endpoint {
  return view.results[i >> CHUNK_BITS]![i & CHUNK_MASK]!.endpoint;
}

export function slotAt(view: CandidateView, i: number): number {
  return view.slots[i >> CHUNK_BITS]![i & CHUNK_MASK]!;
}

/** True when `context` excludes the endpoint at `index`. */
export function isExcluded(context: PickContext | undefined, candidates: readonly Endpoint[], index: number): boolean {
  const exclude = context?.exclude;
  return exclude !== undefined && exclude.size > 0 && exclude.has(candidates[index]!.id);
}

/** {@link isExcluded} over a {@link CandidateView}. */
export function isExcludedAt(context: PickContext | undefined, view: CandidateView, index: number): boolean {
  const exclude = context?.exclude;
  return exclude !== undefined && exclude.size > 0 && exclude.has(endpointAt(view, index).id);
}

/**
 * The first candidate at or after `start` (wrapping) that is not excluded, or `fallback` when
 * every candidate is excluded (exclusion is a preference: "avoided while others remain").
 */
export function nextAllowed(context: PickContext | undefined, candidates: readonly Endpoint[], start: number, fallback: number): number {
  const exclude = context?.exclude;
  if (exclude === undefined || exclude.size === 0) return start;
  const n = candidates.length;
  if (exclude.size >= n && candidates.every((e) => exclude.has(e.id))) return fallback;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    if (!exclude.has(candidates[i]!.id)) return i;
  }
  return fallback;
}

/** {@link nextAllowed} over a {@link CandidateView}. */
export function nextAllowedIn(context: PickContext | undefined, view: CandidateView, start: number, fallback: number): number {
  const exclude = context?.exclude;
  if (exclude === undefined || exclude.size === 0) return start;
  const n = view.size;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    if (!exclude.has(endpointAt(view, i).id)) return i;
  }
  return fallback;
}
