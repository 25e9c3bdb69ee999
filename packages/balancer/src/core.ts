import type { CallOutcome, Clock, Endpoint, PickContext, PickedEndpoint, Random } from '@wayfinder/core';

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
  readonly random: Random;
  /** `clock.now()` read at most once per event-loop turn (cached until the next microtask). */
  now(): number;
}

export interface CoreBalancer {
  /** Called once per candidate list; state the policy keeps across lists is keyed by endpoint id. */
  build(candidates: readonly Endpoint[], states: readonly EndpointState[]): CorePicker;
  /** Learns from a finished call (after the pipeline decremented `active`). */
  onEnd?(state: EndpointState, outcome: CallOutcome): void;
  close?(): void;
}

export interface CorePicker {
  /** An index into the candidates (never out of range: the list is not empty). */
  pick(context: PickContext | undefined): number;
}

/** Per-endpoint state kept by the balancer across snapshots (keyed by endpoint id). */
export interface EndpointState {
  readonly id: string;
  endpoint: Endpoint;
  /** In-flight calls (onStart minus onEnd). */
  active: number;
  /** Peak-EWMA latency in ms (NaN until first set) and when it was last updated (clock ms). */
  ewmaMs: number;
  ewmaAtMs: number;
  consecutiveFailures: number;
  /** Times ejected so far (ejection time grows with it). */
  ejections: number;
  /** 0 when not ejected. */
  ejectedUntilMs: number;
  /** Preallocated pick results (normal and panic), rebuilt when the endpoint object changes. */
  result: PickedEndpoint | undefined;
  panicResult: PickedEndpoint | undefined;
}

/** True when `context` excludes the endpoint at `index`. */
export function isExcluded(context: PickContext | undefined, candidates: readonly Endpoint[], index: number): boolean {
  const exclude = context?.exclude;
  return exclude !== undefined && exclude.size > 0 && exclude.has(candidates[index]!.id);
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
