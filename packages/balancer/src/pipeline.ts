import {
  type Balancer,
  type BalancerContext,
  type BalancerPolicy,
  type CallOutcome,
  type Clock,
  type Endpoint,
  type EndpointSet,
  type PickContext,
  type PickedEndpoint,
  type Picker,
  type PickResult,
  type PickUnavailable,
  type TimerHandle,
  NoEndpointsError,
  systemClock,
} from '@wayfinder/core';
import type { CoreBalancer, CoreEnv, CorePicker, EndpointState, PolicyCore } from './core.js';
import { type ResolvedOutlierDetection, classifyOutcome } from './outlier-detection.js';
import { type StackConfig, selectCandidates } from './select.js';

/** Readiness and priority on, panic below 50% healthy, no topology, no outlier detection. */
export const DEFAULT_STACK: PipelineStack = Object.freeze({
  readiness: true,
  priority: true,
  panicThresholdPercent: 50,
  topology: undefined,
  outlierDetection: undefined,
});

export interface PipelineStack extends StackConfig {
  readonly outlierDetection: ResolvedOutlierDetection | undefined;
}

/**
 * A policy of this package: a {@link PolicyCore} (the algorithm) inside the shared pipeline
 * (the filters). Decorators (`withTopology`, `withOutlierDetection`, …) return a new policy
 * with the same core and a changed stack.
 */
export interface PipelinePolicy extends BalancerPolicy {
  readonly core: PolicyCore;
  readonly stack: PipelineStack;
}

export function createPipelinePolicy(core: PolicyCore, stack: PipelineStack = DEFAULT_STACK): PipelinePolicy {
  return Object.freeze({
    name: core.name,
    core,
    stack,
    create: (context: BalancerContext = {}) => new PipelineBalancer(core, stack, context),
  });
}

export function isPipelinePolicy(value: unknown): value is PipelinePolicy {
  return typeof value === 'object' && value !== null && 'core' in value && 'stack' in value && typeof (value as PipelinePolicy).create === 'function';
}

interface View {
  readonly unavailable: PickUnavailable | undefined;
  readonly core: CorePicker | undefined;
  readonly results: readonly PickedEndpoint[];
}

class PipelineBalancer implements Balancer {
  readonly states = new Map<string, EndpointState>();
  /** Bumped whenever an ejection starts or ends: pickers rebuild their view lazily. */
  version = 0;
  readonly #stack: PipelineStack;
  readonly #core: CoreBalancer;
  readonly #clock: Clock;
  readonly #target: string | undefined;
  readonly #keepsServing: boolean;
  readonly #timers = new Set<TimerHandle>();
  #ejected = 0;
  #size = 0;
  #closed = false;

  constructor(core: PolicyCore, stack: PipelineStack, context: BalancerContext) {
    this.#stack = stack;
    this.#clock = context.clock ?? systemClock;
    this.#target = context.target;
    this.#keepsServing = core.keepsServing ?? false;
    const clock = this.#clock;
    let cached = Number.NaN;
    const invalidate = () => {
      cached = Number.NaN;
    };
    const env: CoreEnv = {
      clock,
      random: context.random ?? Math.random,
      now() {
        if (cached !== cached) {
          cached = clock.now();
          queueMicrotask(invalidate);
        }
        return cached;
      },
    };
    this.#core = core.create(env);
  }

  build(set: EndpointSet): Picker {
    return new PipelinePicker(this, set);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#core.close?.();
  }

  view(set: EndpointSet): View {
    const endpoints = set.endpoints;
    this.#size = endpoints.length;
    const states = this.states;
    for (const e of endpoints) {
      const s = states.get(e.id);
      if (s === undefined) states.set(e.id, newState(e));
      else if (s.endpoint !== e) {
        s.endpoint = e;
        s.result = undefined;
        s.panicResult = undefined;
      }
    }
    if (states.size > endpoints.length) {
      for (const [id, s] of states) {
        if (!set.has(id) && s.active === 0) {
          if (s.ejectedUntilMs > 0) this.#ejected--;
          states.delete(id);
        }
      }
    }
    const selection = selectCandidates(endpoints, this.#stack, (e) => states.get(e.id)!.ejectedUntilMs > 0, this.#keepsServing);
    if (selection.reason !== undefined) {
      const error = new NoEndpointsError(selection.reason, { target: this.#target, detail: selection.detail });
      return { unavailable: Object.freeze({ type: 'unavailable', error }), core: undefined, results: [] };
    }
    const candidates = selection.candidates;
    const candidateStates = candidates.map((e) => states.get(e.id)!);
    const core = this.#core.build(candidates, candidateStates);
    const panic = selection.panic;
    const results = candidateStates.map((s) => (panic ? (s.panicResult ??= this.#result(s, true)) : (s.result ??= this.#result(s, false))));
    return { unavailable: undefined, core, results };
  }

  #result(s: EndpointState, panic: boolean): PickedEndpoint {
    return Object.freeze({
      type: 'endpoint' as const,
      endpoint: s.endpoint,
      panic,
      onStart: () => {
        s.active++;
      },
      onEnd: (outcome: CallOutcome) => this.#onEnd(s, outcome),
    });
  }

  #onEnd(s: EndpointState, outcome: CallOutcome): void {
    if (s.active > 0) s.active--;
    this.#core.onEnd?.(s, outcome);
    const od = this.#stack.outlierDetection;
    if (od === undefined) return;
    const kind = classifyOutcome(outcome);
    if (kind === 'ok') {
      s.consecutiveFailures = 0;
      return;
    }
    if (kind === undefined || !od.failures.has(kind)) return;
    s.consecutiveFailures++;
    if (s.consecutiveFailures < od.consecutiveFailures || s.ejectedUntilMs > 0 || this.#closed) return;
    if (this.states.get(s.id) !== s) return;
    const maxEjected = Math.max(1, Math.floor((od.maxEjectionPercent * this.#size) / 100));
    if (this.#ejected >= maxEjected) return;
    s.ejections++;
    const durationMs = Math.min(od.baseEjectionTimeMs * s.ejections, od.maxEjectionTimeMs);
    s.ejectedUntilMs = this.#clock.now() + durationMs;
    this.#ejected++;
    this.version++;
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      if (s.ejectedUntilMs === 0) return;
      s.ejectedUntilMs = 0;
      s.consecutiveFailures = 0;
      if (this.states.get(s.id) === s) this.#ejected--;
      this.version++;
      od.onReturn?.(s.endpoint);
    }, durationMs);
    this.#timers.add(timer);
    od.onEject?.(s.endpoint, durationMs);
  }
}

class PipelinePicker implements Picker {
  readonly #balancer: PipelineBalancer;
  readonly #set: EndpointSet;
  #version: number;
  #view: View;

  constructor(balancer: PipelineBalancer, set: EndpointSet) {
    this.#balancer = balancer;
    this.#set = set;
    this.#version = balancer.version;
    this.#view = balancer.view(set);
  }

  pick(context?: PickContext): PickResult {
    if (this.#version !== this.#balancer.version) {
      this.#version = this.#balancer.version;
      this.#view = this.#balancer.view(this.#set);
    }
    const view = this.#view;
    if (view.core === undefined) return view.unavailable!;
    return view.results[view.core.pick(context)]!;
  }
}

function newState(endpoint: Endpoint): EndpointState {
  return {
    id: endpoint.id,
    endpoint,
    active: 0,
    ewmaMs: Number.NaN,
    ewmaAtMs: 0,
    consecutiveFailures: 0,
    ejections: 0,
    ejectedUntilMs: 0,
    result: undefined,
    panicResult: undefined,
  };
}
