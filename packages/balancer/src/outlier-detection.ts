import { type CallOutcome, type Endpoint, InvalidOptionError } from '@wayfinder/core';

export type FailureKind = 'connect' | 'gateway' | 'server' | 'timeout';

/**
 * Outlier detection with Envoy's defaults
 * (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier):
 * an endpoint is ejected after `consecutiveFailures` failures in a row; it stays out for
 * `baseEjectionTimeMs × times ejected`, capped at `maxEjectionTimeMs`; at most
 * `maxEjectionPercent` of the set is ejected at once, but one endpoint always may be.
 * A success resets the count; `local` failures (aborted by the caller) never count.
 *
 * @example
 * withOutlierDetection(leastRequest(), { consecutiveFailures: 3, onEject: (e, ms) => log(e.id, ms) })
 */
export interface OutlierDetectionOptions {
  /** Default 5 (Envoy `consecutive_5xx`). */
  consecutiveFailures?: number;
  /** Default 30 000 ms. */
  baseEjectionTimeMs?: number;
  /** Default 300 000 ms. */
  maxEjectionTimeMs?: number;
  /** Default 10 (%). */
  maxEjectionPercent?: number;
  /** Which failures count. Default all but `local`: connect, gateway, server, timeout. */
  failures?: readonly FailureKind[];
  onEject?: (endpoint: Endpoint, durationMs: number) => void;
  onReturn?: (endpoint: Endpoint) => void;
}

export const DEFAULT_CONSECUTIVE_FAILURES = 5;
export const DEFAULT_BASE_EJECTION_TIME_MS = 30_000;
export const DEFAULT_MAX_EJECTION_TIME_MS = 300_000;
export const DEFAULT_MAX_EJECTION_PERCENT = 10;
const ALL_FAILURES: readonly FailureKind[] = ['connect', 'gateway', 'server', 'timeout'];

export interface ResolvedOutlierDetection {
  readonly consecutiveFailures: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly failures: ReadonlySet<string>;
  readonly onEject: ((endpoint: Endpoint, durationMs: number) => void) | undefined;
  readonly onReturn: ((endpoint: Endpoint) => void) | undefined;
}

export function resolveOutlierDetection(options: OutlierDetectionOptions): ResolvedOutlierDetection {
  const consecutiveFailures = options.consecutiveFailures ?? DEFAULT_CONSECUTIVE_FAILURES;
  const baseEjectionTimeMs = options.baseEjectionTimeMs ?? DEFAULT_BASE_EJECTION_TIME_MS;
  const maxEjectionTimeMs = options.maxEjectionTimeMs ?? DEFAULT_MAX_EJECTION_TIME_MS;
  const maxEjectionPercent = options.maxEjectionPercent ?? DEFAULT_MAX_EJECTION_PERCENT;
  if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 1) {
    throw new InvalidOptionError('outlierDetection.consecutiveFailures', consecutiveFailures, 'must be an integer ≥ 1');
  }
  if (!(baseEjectionTimeMs > 0) || !Number.isFinite(baseEjectionTimeMs)) {
    throw new InvalidOptionError('outlierDetection.baseEjectionTimeMs', baseEjectionTimeMs, 'must be a positive number of ms');
  }
  if (!(maxEjectionTimeMs >= baseEjectionTimeMs) || !Number.isFinite(maxEjectionTimeMs)) {
    throw new InvalidOptionError('outlierDetection.maxEjectionTimeMs', maxEjectionTimeMs, 'must be ≥ baseEjectionTimeMs');
  }
  if (!(maxEjectionPercent >= 0 && maxEjectionPercent <= 100)) {
    throw new InvalidOptionError('outlierDetection.maxEjectionPercent', maxEjectionPercent, 'must be between 0 and 100');
  }
  const failures = options.failures ?? ALL_FAILURES;
  for (const f of failures) {
    if (!ALL_FAILURES.includes(f)) throw new InvalidOptionError('outlierDetection.failures', f, `must list only ${ALL_FAILURES.join(', ')}`);
  }
  return {
    consecutiveFailures,
    baseEjectionTimeMs,
    maxEjectionTimeMs,
    maxEjectionPercent,
    failures: new Set(failures),
    onEject: options.onEject,
    onReturn: options.onReturn,
  };
}

/** The failure kind of an outcome, `ok` for a success, undefined when it says nothing about the endpoint. */
export function classifyOutcome(outcome: CallOutcome): FailureKind | 'ok' | undefined {
  if (outcome.ok) return 'ok';
  if (outcome.failure !== undefined) return outcome.failure === 'local' ? undefined : outcome.failure;
  const status = outcome.status;
  if (status !== undefined) {
    if (status === 502 || status === 503 || status === 504) return 'gateway';
    return status >= 500 ? 'server' : undefined;
  }
  return outcome.error !== undefined ? 'connect' : undefined;
}
