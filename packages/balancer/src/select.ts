import type { Endpoint, NoEndpointsReason } from '@wayfinder/core';
import { type ResolvedTopology, applyTopology } from './topology.js';

/** The pipeline's filters, in the order they apply. */
export interface StackConfig {
  /** Ready endpoints only, else serving ones even when terminating (Kubernetes' fallback). */
  readonly readiness: boolean;
  /** The lowest priority group that has a healthy endpoint. */
  readonly priority: boolean;
  /** Below this share (%) of healthy endpoints in the group, balance over all of them. 0 disables. */
  readonly panicThresholdPercent: number;
  readonly topology: ResolvedTopology | undefined;
}

export type Selection =
  | {
      readonly candidates: readonly Endpoint[];
      readonly panic: boolean;
      readonly reason?: undefined;
      /** The priority group used (undefined: every endpoint is in it) and its size. */
      readonly levelPriority: number | undefined;
      readonly levelSize: number;
      /** True when the candidates are exactly the group's healthy endpoints (no fallback, panic, weight or topology filter): the case the pipeline can patch incrementally. */
      readonly plain: boolean;
    }
  | { readonly candidates?: undefined; readonly panic?: undefined; readonly reason: NoEndpointsReason; readonly detail?: string };

/**
 * Applies the filters to one snapshot (the slow path): priority group, readiness with the
 * terminating fallback, ejection, panic threshold, positive weights first, then topology.
 * `keepsServing` keeps serving-but-terminating endpoints beside ready ones (sticky bindings).
 */
export function selectCandidates(
  endpoints: readonly Endpoint[],
  stack: StackConfig,
  isEjected: (e: Endpoint) => boolean,
  keepsServing = false,
): Selection {
  if (endpoints.length === 0) return { reason: 'empty' };
  const healthy = (e: Endpoint) => (stack.readiness ? e.ready : true) && !isEjected(e);
  const servingOk = (e: Endpoint) => e.serving && !isEjected(e);
  let level = endpoints;
  let levelPriority: number | undefined;
  if (stack.priority) {
    if (endpoints.some((e) => e.priority !== endpoints[0]!.priority)) {
      const p = lowestPriority(endpoints, healthy) ?? lowestPriority(endpoints, servingOk) ?? lowestPriority(endpoints, () => true)!;
      level = endpoints.filter((e) => e.priority === p);
      levelPriority = p;
    } else {
      levelPriority = endpoints[0]!.priority;
    }
  }
  let plain = stack.topology === undefined && !keepsServing;
  let usable: readonly Endpoint[];
  if (stack.readiness) {
    const ready = level.filter(healthy);
    if (ready.length === 0) plain = false;
    usable = ready.length === 0 ? level.filter(servingOk) : keepsServing ? level.filter((e) => (e.ready || (e.serving && e.terminating)) && !isEjected(e)) : ready;
  } else {
    usable = level.filter((e) => !isEjected(e));
  }
  let panic = false;
  let candidates = usable;
  if (stack.panicThresholdPercent > 0 && usable.length * 100 < stack.panicThresholdPercent * level.length) {
    const wider = stack.readiness ? level.filter((e) => e.serving) : level;
    if (wider.length > usable.length) {
      candidates = wider;
      panic = true;
      plain = false;
    }
  }
  if (candidates.length === 0) {
    return { reason: level.some((e) => isEjected(e)) ? 'all-ejected' : 'none-ready' };
  }
  if (candidates.some((e) => e.weight === 0)) {
    const positive = candidates.filter((e) => e.weight > 0);
    if (positive.length > 0) candidates = positive;
    plain = false;
  }
  if (stack.topology) {
    const local = applyTopology(candidates, stack.topology);
    if (local === undefined) return { reason: 'none-local', detail: `node "${stack.topology.node}"` };
    candidates = local;
  }
  return { candidates, panic, levelPriority, levelSize: level.length, plain };
}

function lowestPriority(endpoints: readonly Endpoint[], keep: (e: Endpoint) => boolean): number | undefined {
  let best: number | undefined;
  for (const e of endpoints) if (keep(e) && (best === undefined || e.priority < best)) best = e.priority;
  return best;
}
