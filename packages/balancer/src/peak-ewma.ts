import { InvalidOptionError } from '@wayfinder/core';
import { type CandidateView, CHUNK_BITS, CHUNK_MASK, type CoreEnv, type CorePicker, type PolicyCore, isExcludedAt, nextAllowedIn } from './core.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';

export interface PeakEwmaOptions {
  /** Time constant of the moving average. Default 10 000 ms (Finagle, Linkerd). */
  decayMs?: number;
  /** Latency assumed for an endpoint never measured. Default 30 ms (Linkerd; Envoy uses 10 ms). */
  defaultRttMs?: number;
}

export const DEFAULT_DECAY_MS = 10_000;
export const DEFAULT_RTT_MS = 30;
/** Finagle's cost for an endpoint with calls in flight but no latency yet. */
const PENALTY = 2 ** 47;
/** exp(-x) is tabulated over [0, 8) in this many steps and interpolated linearly (error < 1e-6). */
const DECAY_STEPS = 4096;
const DECAY_SPAN = 8;
const DECAY_TABLE = (() => {
  const table = new Float64Array(DECAY_STEPS + 2);
  for (let i = 0; i <= DECAY_STEPS; i++) table[i] = Math.exp((-i * DECAY_SPAN) / DECAY_STEPS);
  table[DECAY_STEPS] = 0;
  return table;
})();

/**
 * Peak EWMA with power of two choices, Finagle and Linkerd's latency-aware balancer
 * (https://twitter.github.io/finagle/guide/Clients.html#power-of-two-choices-p2c-peak-ewma,
 * https://linkerd.io/2016/03/16/beyond-round-robin-load-balancing-for-latency/): each endpoint's
 * cost is its peak-sensitive moving average of latency × (in-flight + 1); a slower answer than
 * the average replaces it at once, faster ones pull it down with time constant `decayMs`, and
 * the average decays toward 0 while the endpoint is idle so a slow endpoint is retried. While
 * calls are in flight for longer than the average, their mean age stands in for it, so a
 * backend that stopped answering looks slow before its first timeout comes back.
 *
 * Per pick: one clock read per event-loop turn (cached) and an interpolated table lookup for the
 * decay of each of the two candidates; no `Math.exp`, no allocation.
 *
 * @example
 * const picker = peakEwma({ defaultRttMs: 10 }).create().build(set);
 */
export function peakEwma(options: PeakEwmaOptions = {}): PipelinePolicy {
  const decayMs = options.decayMs ?? DEFAULT_DECAY_MS;
  const defaultRttMs = options.defaultRttMs ?? DEFAULT_RTT_MS;
  if (!(decayMs > 0) || !Number.isFinite(decayMs)) throw new InvalidOptionError('decayMs', decayMs, 'must be a positive number of ms');
  if (!(defaultRttMs >= 0) || !Number.isFinite(defaultRttMs)) throw new InvalidOptionError('defaultRttMs', defaultRttMs, 'must be a number of ms ≥ 0');
  return createPipelinePolicy(peakEwmaCore(decayMs, defaultRttMs));
}

/** A decay function exp(-dt / decayMs) from the interpolated table (dt ≥ 0). */
export function createDecay(decayMs: number): (dtMs: number) => number {
  const scale = DECAY_STEPS / (DECAY_SPAN * decayMs);
  return (dtMs) => {
    const x = dtMs * scale;
    if (!(x > 0)) return 1;
    if (x >= DECAY_STEPS) return 0;
    const i = x | 0;
    const lo = DECAY_TABLE[i]!;
    return lo + (DECAY_TABLE[i + 1]! - lo) * (x - i);
  };
}

class PeakEwmaPicker implements CorePicker {
  constructor(
    readonly view: CandidateView,
    readonly env: CoreEnv,
    readonly scale: number,
    readonly defaultRttMs: number,
  ) {}

  pick(context: Parameters<CorePicker['pick']>[0]): number {
    const view = this.view;
    const n = view.size;
    if (n === 1) return 0;
    const env = this.env;
    const rng = env.rng;
    let a = rng.below(n);
    let b = rng.below(n - 1);
    if (b >= a) b++;
    if (context?.exclude !== undefined && context.exclude.size > 0) {
      if (isExcludedAt(context, view, a)) a = nextAllowedIn(context, view, a, a);
      if (isExcludedAt(context, view, b) || b === a) return a;
    }
    const now = env.now();
    // Two candidates, written out in straight lines: no double crosses a call or a loop phi,
    // so nothing is boxed whatever the optimiser inlines.
    const slots = env.slots;
    const ewmaMs = slots.ewmaMs;
    const ewmaAtMs = slots.ewmaAtMs;
    const activeOf = slots.active;
    const startSum = slots.startSumMs;
    const scale = this.scale;
    const sa = view.slots[a >> CHUNK_BITS]![a & CHUNK_MASK]!;
    const sb = view.slots[b >> CHUNK_BITS]![b & CHUNK_MASK]!;
    if (ewmaMs[sa] !== ewmaMs[sa]) this.#init(sa, now);
    if (ewmaMs[sb] !== ewmaMs[sb]) this.#init(sb, now);

    let ea = ewmaMs[sa]!;
    const xa = (now - ewmaAtMs[sa]!) * scale;
    if (xa >= DECAY_STEPS) ea = 0;
    else if (xa > 0) {
      const j = xa | 0;
      ea *= DECAY_TABLE[j]! + (DECAY_TABLE[j + 1]! - DECAY_TABLE[j]!) * (xa - j);
    }
    const aa = activeOf[sa]!;
    if (aa > 0 && now - startSum[sa]! / aa > ea) ea = now - startSum[sa]! / aa;

    let eb = ewmaMs[sb]!;
    const xb = (now - ewmaAtMs[sb]!) * scale;
    if (xb >= DECAY_STEPS) eb = 0;
    else if (xb > 0) {
      const j = xb | 0;
      eb *= DECAY_TABLE[j]! + (DECAY_TABLE[j + 1]! - DECAY_TABLE[j]!) * (xb - j);
    }
    const ab = activeOf[sb]!;
    if (ab > 0 && now - startSum[sb]! / ab > eb) eb = now - startSum[sb]! / ab;

    const costA = ea === 0 && aa > 0 ? PENALTY + aa : ea * (aa + 1);
    const costB = eb === 0 && ab > 0 ? PENALTY + ab : eb * (ab + 1);
    return costB < costA ? b : a;
  }

  #init(slot: number, now: number): void {
    this.env.slots.ewmaMs[slot] = this.defaultRttMs;
    this.env.slots.ewmaAtMs[slot] = now;
  }
}

export function peakEwmaCore(decayMs: number, defaultRttMs: number): PolicyCore {
  const scale = DECAY_STEPS / (DECAY_SPAN * decayMs);
  return {
    name: 'peak-ewma',
    create(env) {
      const slots = env.slots;
      return {
        build: (_candidates, _states, view) => new PeakEwmaPicker(view, env, scale, defaultRttMs),
        patch: (_previous, view) => new PeakEwmaPicker(view, env, scale, defaultRttMs),
        onEnd(s, outcome) {
          const rtt = outcome.latencyMs;
          if (!(rtt >= 0)) return;
          const slot = s.slot;
          const now = env.now();
          const ewma = slots.ewmaMs[slot]!;
          // Finagle's Metric.observe: w = exp(-Δt/τ); a peak replaces the average at once.
          const w = ewma !== ewma ? 0 : Math.exp(-Math.max(0, now - slots.ewmaAtMs[slot]!) / decayMs);
          const decayed = w === 0 ? 0 : ewma * w;
          slots.ewmaMs[slot] = rtt > decayed ? rtt : decayed + rtt * (1 - w);
          slots.ewmaAtMs[slot] = now;
        },
      };
    },
  };
}
