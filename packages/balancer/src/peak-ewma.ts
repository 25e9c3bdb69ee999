import { InvalidOptionError } from '@wayfinder/core';
import { type CorePicker, type EndpointState, type PolicyCore, isExcluded, nextAllowed } from './core.js';
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
/** exp(-t / decay) is tabulated over [0, 8 × decay) in this many steps (0.05% below e⁻⁸). */
const DECAY_STEPS = 4096;
const DECAY_SPAN = 8;

/**
 * Peak EWMA with power of two choices, Finagle and Linkerd's latency-aware balancer
 * (https://twitter.github.io/finagle/guide/Clients.html#power-of-two-choices-p2c-peak-ewma,
 * https://linkerd.io/2016/03/16/beyond-round-robin-load-balancing-for-latency/): each endpoint's
 * cost is its peak-sensitive moving average of latency × (in-flight + 1); a slower answer than
 * the average replaces it at once, faster ones pull it down with time constant `decayMs`, and
 * the average decays toward 0 while the endpoint is idle so a slow endpoint is retried.
 *
 * Per pick: one clock read per event-loop turn (cached) and a table lookup for the decay of
 * each of the two candidates; no `Math.exp`.
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

/** A decay function exp(-dt / decayMs) from a table (dt ≥ 0). */
export function createDecay(decayMs: number): (dtMs: number) => number {
  const table = new Float64Array(DECAY_STEPS + 1);
  for (let i = 0; i <= DECAY_STEPS; i++) table[i] = Math.exp((-i * DECAY_SPAN) / DECAY_STEPS);
  table[DECAY_STEPS] = 0;
  const scale = DECAY_STEPS / (DECAY_SPAN * decayMs);
  return (dtMs) => {
    const x = dtMs * scale;
    if (!(x > 0)) return 1;
    return x >= DECAY_STEPS ? 0 : table[x | 0]!;
  };
}

export function peakEwmaCore(decayMs: number, defaultRttMs: number): PolicyCore {
  const decay = createDecay(decayMs);
  return {
    name: 'peak-ewma',
    create(env) {
      const rnd = env.random;
      const cost = (s: EndpointState, now: number) => {
        if (s.ewmaMs !== s.ewmaMs) {
          s.ewmaMs = defaultRttMs;
          s.ewmaAtMs = now;
        }
        const ewma = s.ewmaMs * decay(now - s.ewmaAtMs);
        return ewma === 0 && s.active > 0 ? PENALTY + s.active : ewma * (s.active + 1);
      };
      return {
        build(candidates, states): CorePicker {
          const n = candidates.length;
          if (n === 1) return { pick: () => 0 };
          return {
            pick(context) {
              let a = (rnd() * n) | 0;
              let b = (rnd() * (n - 1)) | 0;
              if (b >= a) b++;
              if (context?.exclude !== undefined && context.exclude.size > 0) {
                if (isExcluded(context, candidates, a)) a = nextAllowed(context, candidates, a, a);
                if (isExcluded(context, candidates, b) || b === a) return a;
              }
              const now = env.now();
              return cost(states[b]!, now) < cost(states[a]!, now) ? b : a;
            },
          };
        },
        onEnd(s, outcome) {
          const rtt = outcome.latencyMs;
          if (!(rtt >= 0)) return;
          const now = env.now();
          const w = s.ewmaMs !== s.ewmaMs ? 0 : decay(now - s.ewmaAtMs);
          const decayed = w === 0 ? 0 : s.ewmaMs * w;
          s.ewmaMs = rtt > decayed ? rtt : decayed + rtt * (1 - w);
          s.ewmaAtMs = now;
        },
      };
    },
  };
}
