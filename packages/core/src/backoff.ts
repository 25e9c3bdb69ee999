import { InvalidOptionError } from './errors.js';
import type { Random } from './random.js';

/**
 * Reconnect backoff of the resolver, after client-go's reflector: 800 ms doubling to 30 s,
 * jittered, reset once a session has been healthy for 2 minutes.
 */
export interface BackoffOptions {
  /** First delay. Default 800 ms. */
  initialMs?: number;
  /** Largest delay before jitter. Default 30 000 ms. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
  /**
   * Jitter as a fraction of the delay: the delay is drawn uniformly from
   * `[d × (1 − jitter/2), d × (1 + jitter/2)]`. Default 1 (±50%). 0 disables it.
   */
  jitter?: number;
  /** A session healthy this long resets the delay to `initialMs`. Default 120 000 ms. */
  resetAfterMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = Object.freeze({
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
  resetAfterMs: 120_000,
});

export interface Backoff {
  readonly resetAfterMs: number;
  /** The delay before the next attempt; grows with each call until `reset()`. */
  next(): number;
  reset(): void;
}

export function createBackoff(options: BackoffOptions = {}, random: Random = Math.random): Backoff {
  const o = { ...DEFAULT_BACKOFF, ...options };
  for (const [name, value] of Object.entries(o)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new InvalidOptionError(`backoff.${name}`, value, 'must be a number ≥ 0');
  }
  if (o.factor < 1) throw new InvalidOptionError('backoff.factor', o.factor, 'must be ≥ 1');
  if (o.jitter > 2) throw new InvalidOptionError('backoff.jitter', o.jitter, 'must be between 0 and 2');
  let failures = 0;
  return {
    resetAfterMs: o.resetAfterMs,
    next() {
      const base = Math.min(o.maxMs, o.initialMs * o.factor ** failures);
      failures++;
      return base * (1 + o.jitter * (random() - 0.5));
    },
    reset() {
      failures = 0;
    },
  };
}
