import type { Clock } from './clock.js';
import type { Endpoint } from './endpoint.js';
import type { EndpointSet } from './endpoint-set.js';
import type { NoEndpointsError } from './errors.js';
import type { Random } from './random.js';

/**
 * Balancing contracts, after grpc-js's resolver / load balancer / picker split:
 *
 * - A {@link BalancerPolicy} (`random()`, `leastRequest()`, … from `@wayfinder/balancer`) is a
 *   plain factory with options. `create()` makes one {@link Balancer} per target.
 * - A {@link Balancer} owns the state that must survive snapshots (in-flight counts, latency
 *   averages, sticky bindings, ejections, rotation position), keyed by endpoint id. For each
 *   new snapshot it builds a {@link Picker}: the slow path.
 * - A {@link Picker} answers each call synchronously: the fast path. No I/O, no await, no
 *   allocation where avoidable. It is replaced, never mutated, when the set changes.
 * - The result of a pick carries call hooks: the caller calls `onStart()` once when it sends
 *   the request and `onEnd(outcome)` once when the call ends; load-aware policies and outlier
 *   detection learn through them.
 */
export interface BalancerPolicy {
  /** A short name for logs and the CLI (`round-robin`, `peak-ewma`). */
  readonly name: string;
  create(context?: BalancerContext): Balancer;
}

export interface BalancerContext {
  readonly clock?: Clock;
  readonly random?: Random;
  /** The target balanced, for error messages. */
  readonly target?: string;
}

export interface Balancer {
  /** Builds the picker for a snapshot. Called for each new snapshot; state carries over by endpoint id. */
  build(set: EndpointSet): Picker;
  /** Releases timers and state. */
  close?(): void;
}

export interface Picker {
  pick(context?: PickContext): PickResult;
}

export interface PickContext {
  /** Affinity key for sticky and hashing policies (client IP, conversation id, tenant). */
  readonly affinityKey?: string | undefined;
  /** Endpoint ids already tried by this call: avoided while others remain. */
  readonly exclude?: ReadonlySet<string> | undefined;
}

/** The picked endpoint and its call hooks. */
export interface PickedEndpoint {
  readonly type: 'endpoint';
  readonly endpoint: Endpoint;
  /** True when the panic threshold made the pick ignore health (Envoy semantics). */
  readonly panic: boolean;
  /** Call once when the request is sent. */
  onStart(): void;
  /** Call once when the call ends, successfully or not. */
  onEnd(outcome: CallOutcome): void;
}

/** Nothing can be picked; `error.reason` says why. */
export interface PickUnavailable {
  readonly type: 'unavailable';
  readonly error: NoEndpointsError;
}

export type PickResult = PickedEndpoint | PickUnavailable;

/** How a call ended, reported to the picker through `onEnd`. */
export interface CallOutcome {
  /** True for a response the caller considers a success (by default: any status below 500). */
  readonly ok: boolean;
  /** The HTTP status, when a response arrived. */
  readonly status?: number;
  /** The transport error, when none did. */
  readonly error?: unknown;
  /**
   * Classification for outlier detection: `connect` (never reached the server: refused,
   * reset before sending, connect timeout), `gateway` (502/503/504), `server` (other 5xx),
   * `timeout` (after sending), `local` (aborted by the caller: not the endpoint's fault).
   */
  readonly failure?: 'connect' | 'gateway' | 'server' | 'timeout' | 'local';
  /** Time from `onStart` to the end (or to the response headers), in ms. */
  readonly latencyMs: number;
}
