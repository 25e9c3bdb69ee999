import {
  type Balancer,
  type BalancerContext,
  type BalancerPolicy,
  type CallOutcome,
  type Clock,
  type Endpoint,
  type EndpointChanges,
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
import { CandidateListEditor, createCandidateView } from './candidate-list.js';
import { type CandidateView, CHUNK_BITS, CHUNK_MASK, type CoreBalancer, type CoreEnv, type CorePicker, type EndpointState, type PolicyCore } from './core.js';
import { FastRandom } from './fast-random.js';
import { type ResolvedOutlierDetection, classifyOutcome } from './outlier-detection.js';
import { type StackConfig, selectCandidates } from './select.js';
import { SlotTable } from './slots.js';

/** Readiness and priority on, panic below 50% healthy, no topology, no outlier detection. */
export const DEFAULT_STACK: PipelineStack = Object.freeze({
  readiness: true,
  priority: true,
  panicThresholdPercent: 50,
  topology: undefined,
  outlierDetection: undefined,
});

/** Deltas larger than this (or than 1/8 of the set) are applied by a full rebuild. */
const MAX_PATCH_CHANGES = 64;

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
  readonly list: CandidateView;
  /** Set when the candidates are the plain healthy members of one priority group (patchable). */
  readonly plain: { readonly levelPriority: number | undefined; readonly levelSize: number } | undefined;
}

const EMPTY_VIEW: CandidateView = Object.freeze({ size: 0, slots: [], results: [] });

class PipelineBalancer implements Balancer {
  readonly states = new Map<string, EndpointState>();
  /** Bumped whenever an ejection starts or ends: pickers rebuild their view lazily. */
  version = 0;
  readonly #stack: PipelineStack;
  readonly #core: CoreBalancer;
  readonly #hasPatch: boolean;
  readonly #clock: Clock;
  readonly #env: CoreEnv;
  readonly #slots: SlotTable;
  readonly #target: string | undefined;
  readonly #keepsServing: boolean;
  readonly #timers = new Set<TimerHandle>();
  /** Position of each slot in the latest view's candidates (-1: not a candidate). */
  #candPos = new Int32Array(16).fill(-1);
  /** The latest set built and its view, the base of the next incremental update. */
  #last: { set: EndpointSet; view: View; version: number } | undefined;
  /** Ids that left the set with calls still in flight: their state goes when the calls end. */
  readonly #lingering = new Set<string>();
  #ejected = 0;
  #size = 0;
  #closed = false;

  constructor(core: PolicyCore, stack: PipelineStack, context: BalancerContext) {
    this.#stack = stack;
    this.#clock = context.clock ?? systemClock;
    this.#target = context.target;
    this.#keepsServing = core.keepsServing ?? false;
    this.#slots = new SlotTable();
    const clock = this.#clock;
    let cached = Number.NaN;
    const invalidate = () => {
      cached = Number.NaN;
    };
    const random = context.random ?? Math.random;
    this.#env = {
      clock,
      random,
      rng: new FastRandom(random),
      slots: this.#slots,
      now() {
        if (cached !== cached) {
          cached = clock.now();
          queueMicrotask(invalidate);
        }
        return cached;
      },
    };
    this.#core = core.create(this.#env);
    this.#hasPatch = this.#core.patch !== undefined;
  }

  build(set: EndpointSet): Picker {
    this.#slots.recycle();
    const last = this.#last;
    let view: View | undefined;
    if (last !== undefined && last.view.plain !== undefined && last.version === this.version && this.#hasPatch) {
      const changes = set.changesSince(last.set);
      if (changes !== undefined && changes.upsert.length + changes.remove.length <= Math.max(MAX_PATCH_CHANGES >> 3, Math.min(MAX_PATCH_CHANGES, set.size >> 3))) {
        view = this.#patch(last.set, last.view, set, changes);
      }
    }
    if (view === undefined) {
      this.#sync(set);
      view = this.view(set);
      this.#adopt(view);
    }
    this.#last = { set, view, version: this.version };
    return new PipelinePicker(this, set, view);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    this.#core.close?.();
  }

  /** Brings the states in line with `set` (O(N)): new ids get a slot, departed idle ones go. */
  #sync(set: EndpointSet): void {
    const endpoints = set.endpoints;
    this.#size = endpoints.length;
    const states = this.states;
    for (const e of endpoints) {
      const s = states.get(e.id);
      if (s === undefined) states.set(e.id, this.#newState(e));
      else if (s.endpoint !== e) this.#update(s, e);
    }
    if (states.size > endpoints.length) {
      for (const [id, s] of states) if (!set.has(id)) this.#drop(id, s);
    }
  }

  /** The full view of `set` (the slow path); states must already be in line with it. */
  view(set: EndpointSet): View {
    const states = this.states;
    const selection = selectCandidates(set.endpoints, this.#stack, (e) => (states.get(e.id)?.ejectedUntilMs ?? 0) > 0, this.#keepsServing);
    if (selection.reason !== undefined) {
      const error = new NoEndpointsError(selection.reason, { target: this.#target, detail: selection.detail });
      return { unavailable: Object.freeze({ type: 'unavailable', error }), core: undefined, list: EMPTY_VIEW, plain: undefined };
    }
    const candidates = selection.candidates;
    const candidateStates = candidates.map((e) => states.get(e.id) ?? this.#adoptMissing(e));
    const panic = selection.panic;
    const results = candidateStates.map((s) => (panic ? (s.panicResult ??= this.#result(s, true)) : (s.result ??= this.#result(s, false))));
    const list = createCandidateView(
      candidateStates.map((s) => s.slot),
      results,
    );
    const core = this.#core.build(candidates, candidateStates, list);
    const plain = selection.plain ? { levelPriority: selection.levelPriority, levelSize: selection.levelSize } : undefined;
    return { unavailable: undefined, core, list, plain };
  }

  /**
   * A detached state for an endpoint of an older set whose state is gone (a stale picker
   * refreshing after an ejection): not added to the balancer, hooks ignored, slot released.
   */
  #adoptMissing(e: Endpoint): EndpointState {
    const s = this.#newState(e);
    s.released = true;
    this.#slots.release(s.slot);
    return s;
  }

  #adopt(view: View): void {
    if (this.#candPos.length < this.#slots.active.length) this.#candPos = new Int32Array(this.#slots.active.length);
    this.#candPos.fill(-1);
    const list = view.list;
    for (let i = 0; i < list.size; i++) this.#candPos[list.slots[i >> CHUNK_BITS]![i & CHUNK_MASK]!] = i;
  }

  /**
   * Applies a small delta to the latest plain view, copy-on-write (O(changes)); undefined when
   * the delta changes the priority group, the panic state, or anything else the full selection
   * decides (then the caller rebuilds).
   */
  #patch(previous: EndpointSet, last: View, set: EndpointSet, changes: EndpointChanges): View | undefined {
    const plain = last.plain!;
    const states = this.states;
    const p = plain.levelPriority;
    // Arrow functions are avoided here: they cost more than the patch itself under some loaders.
    let levelSize = plain.levelSize;
    let size = last.list.size;
    for (const id of changes.remove) {
      const old = previous.get(id);
      if (old === undefined) continue;
      if (p === undefined || old.priority === p) levelSize--;
      if (this.#isCandidate(id)) size--;
    }
    for (const e of changes.upsert) {
      const old = previous.get(e.id);
      if (old !== undefined) {
        if (p === undefined || old.priority === p) levelSize--;
        if (this.#isCandidate(e.id)) size--;
      }
      const inLevel = p === undefined || e.priority === p;
      if (inLevel) levelSize++;
      if (!this.#healthy(e)) continue;
      if (!inLevel) {
        if (p !== undefined && e.priority < p) return undefined;
        continue;
      }
      if (!(e.weight > 0)) return undefined;
      size++;
    }
    if (size === 0) return undefined;
    const threshold = this.#stack.panicThresholdPercent;
    if (threshold > 0 && size * 100 < threshold * levelSize) return undefined;

    this.#size = set.size;
    const editor = new CandidateListEditor(last.list);
    const left: Endpoint[] = [];
    for (const id of changes.remove) {
      const s = states.get(id);
      if (s === undefined) continue;
      this.#removeCandidate(editor, s, left);
      this.#drop(id, s);
    }
    const joining: EndpointState[] = [];
    for (const e of changes.upsert) {
      let s = states.get(e.id);
      if (s === undefined) {
        s = this.#newState(e);
        states.set(e.id, s);
      } else {
        this.#removeCandidate(editor, s, left);
        if (s.endpoint !== e) this.#update(s, e);
        this.#lingering.delete(e.id);
      }
      if ((p === undefined || e.priority === p) && this.#healthy(e)) joining.push(s);
    }
    const firstNew = editor.size;
    if (this.#candPos.length < this.#slots.active.length) {
      const grown = new Int32Array(this.#slots.active.length).fill(-1);
      grown.set(this.#candPos);
      this.#candPos = grown;
    }
    for (const s of joining) this.#candPos[s.slot] = editor.append(s.slot, (s.result ??= this.#result(s, false)));
    if (this.#lingering.size > 0) this.#sweepLingering(set);
    const list = editor.finish();
    const core = this.#core.patch!(last.core!, list, firstNew, left);
    if (core === undefined) {
      const full = this.view(set);
      this.#adopt(full);
      return full;
    }
    return { unavailable: undefined, core, list, plain: { levelPriority: p, levelSize } };
  }

  #healthy(e: Endpoint): boolean {
    return (this.#stack.readiness ? e.ready : true) && !((this.states.get(e.id)?.ejectedUntilMs ?? 0) > 0);
  }

  #isCandidate(id: string): boolean {
    const s = this.states.get(id);
    return s !== undefined && s.slot < this.#candPos.length && this.#candPos[s.slot]! >= 0;
  }

  #removeCandidate(editor: CandidateListEditor, s: EndpointState, left: Endpoint[]): void {
    const candPos = this.#candPos;
    if (s.slot >= candPos.length) return;
    const i = candPos[s.slot]!;
    if (i < 0) return;
    left.push(editor.endpointAt(i));
    const moved = editor.swapRemove(i);
    if (moved >= 0) candPos[moved] = i;
    candPos[s.slot] = -1;
  }

  #sweepLingering(set: EndpointSet): void {
    for (const id of this.#lingering) {
      const s = this.states.get(id);
      if (s === undefined || set.has(id)) this.#lingering.delete(id);
      else if (this.#slots.active[s.slot] === 0) this.#drop(id, s);
    }
  }

  #drop(id: string, s: EndpointState): void {
    if (this.#slots.active[s.slot]! > 0) {
      this.#lingering.add(id);
      return;
    }
    if (s.ejectedUntilMs > 0) this.#ejected--;
    this.states.delete(id);
    this.#lingering.delete(id);
    s.released = true;
    this.#slots.release(s.slot);
  }

  #update(s: EndpointState, e: Endpoint): void {
    s.endpoint = e;
    s.result = undefined;
    s.panicResult = undefined;
    this.#slots.weight[s.slot] = e.weight;
  }

  #newState(e: Endpoint): EndpointState {
    return {
      id: e.id,
      slot: this.#slots.allocate(e.weight),
      endpoint: e,
      released: false,
      consecutiveFailures: 0,
      ejections: 0,
      ejectedUntilMs: 0,
      result: undefined,
      panicResult: undefined,
    };
  }

  #result(s: EndpointState, panic: boolean): PickedEndpoint {
    return new PickedResult(this, s, panic);
  }

  /** `onStart` of a pick result. */
  started(s: EndpointState): void {
    if (s.released) return;
    const slots = this.#slots;
    slots.active[s.slot] = slots.active[s.slot]! + 1;
    slots.startSumMs[s.slot] = slots.startSumMs[s.slot]! + this.#env.now();
  }

  /** `onEnd` of a pick result. */
  ended(s: EndpointState, outcome: CallOutcome): void {
    this.#onEnd(s, outcome);
  }

  #onEnd(s: EndpointState, outcome: CallOutcome): void {
    if (s.released) return;
    const slots = this.#slots;
    const slot = s.slot;
    if (slots.active[slot]! > 0) {
      const remaining = --slots.active[slot]!;
      const latency = outcome.latencyMs >= 0 ? outcome.latencyMs : 0;
      slots.startSumMs[slot] = remaining === 0 ? 0 : Math.max(0, slots.startSumMs[slot]! - (this.#env.now() - latency));
    }
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

/**
 * A preallocated pick result: one per endpoint (and panic flag), shared by every pick of it.
 * A class rather than closures so that building one for a joining endpoint stays cheap.
 */
class PickedResult implements PickedEndpoint {
  readonly type = 'endpoint' as const;
  readonly endpoint: Endpoint;
  readonly #balancer: PipelineBalancer;
  readonly #state: EndpointState;
  constructor(
    balancer: PipelineBalancer,
    state: EndpointState,
    readonly panic: boolean,
  ) {
    this.endpoint = state.endpoint;
    this.#balancer = balancer;
    this.#state = state;
    Object.freeze(this);
  }
  onStart(): void {
    this.#balancer.started(this.#state);
  }
  onEnd(outcome: CallOutcome): void {
    this.#balancer.ended(this.#state, outcome);
  }
}

class PipelinePicker implements Picker {
  readonly #balancer: PipelineBalancer;
  readonly #set: EndpointSet;
  #version: number;
  #view: View;

  constructor(balancer: PipelineBalancer, set: EndpointSet, view: View) {
    this.#balancer = balancer;
    this.#set = set;
    this.#version = balancer.version;
    this.#view = view;
  }

  pick(context?: PickContext): PickResult {
    if (this.#version !== this.#balancer.version) {
      this.#version = this.#balancer.version;
      this.#view = this.#balancer.view(this.#set);
    }
    const view = this.#view;
    const core = view.core;
    if (core === undefined) return view.unavailable!;
    const i = core.pick(context);
    return view.list.results[i >> CHUNK_BITS]![i & CHUNK_MASK]!;
  }
}
