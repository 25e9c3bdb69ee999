import type { AttemptEvent } from '@wayfinder/core';

/** One attempt as the client's `onAttempt` hook reported it. */
export interface AttemptRecord {
  /** ms since the demo started. */
  readonly t: number;
  readonly id: string;
  readonly ok: boolean;
  readonly attempt: number;
  readonly latencyMs: number;
}

export interface RebindRecord {
  readonly t: number;
  readonly key: string;
  readonly from: string;
  readonly to: string;
}

/** Everything the view and the summary read; written by the traffic and the client hooks. */
export interface DemoStats {
  readonly startedAt: number;
  sent: number;
  succeeded: number;
  failed: number;
  /** Attempts after the first of their call (each one is a retry on another endpoint). */
  retried: number;
  readonly failures: string[];
  readonly attempts: AttemptRecord[];
  readonly rebinds: RebindRecord[];
  /** Endpoint id → calls in flight (from the picker's onStart/onEnd). */
  readonly inFlight: Map<string, number>;
  /** Endpoint id → display name (registry metadata `name`, else the id). */
  readonly names: Map<string, string>;
  now(): number;
  onAttempt(event: AttemptEvent): void;
}

const MAX_FAILURE_MESSAGES = 5;

export function createDemoStats(): DemoStats {
  const startedAt = performance.now();
  const stats: DemoStats = {
    startedAt,
    sent: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    failures: [],
    attempts: [],
    rebinds: [],
    inFlight: new Map(),
    names: new Map(),
    now: () => performance.now() - startedAt,
    onAttempt(event) {
      if (event.attempt > 1) stats.retried++;
      stats.attempts.push({ t: stats.now(), id: event.endpoint.id, ok: event.outcome.ok, attempt: event.attempt, latencyMs: event.outcome.latencyMs });
    },
  };
  return stats;
}

export function recordFailure(stats: DemoStats, message: string): void {
  stats.failed++;
  if (stats.failures.length < MAX_FAILURE_MESSAGES) stats.failures.push(message);
}

/** Share of successful attempts per endpoint id within [fromMs, toMs). */
export function sharesBetween(stats: DemoStats, fromMs: number, toMs: number): Map<string, number> {
  const counts = new Map<string, number>();
  let total = 0;
  for (let i = stats.attempts.length - 1; i >= 0; i--) {
    const a = stats.attempts[i]!;
    if (a.t < fromMs) break;
    if (a.t >= toMs || !a.ok) continue;
    counts.set(a.id, (counts.get(a.id) ?? 0) + 1);
    total++;
  }
  const out = new Map<string, number>();
  for (const [id, n] of counts) out.set(id, n / total);
  return out;
}

/** The median latency of successful attempts per endpoint id within [fromMs, toMs). */
export function medianLatencyBetween(stats: DemoStats, fromMs: number, toMs: number): Map<string, number> {
  const samples = new Map<string, number[]>();
  for (let i = stats.attempts.length - 1; i >= 0; i--) {
    const a = stats.attempts[i]!;
    if (a.t < fromMs) break;
    if (a.t >= toMs || !a.ok) continue;
    let list = samples.get(a.id);
    if (!list) samples.set(a.id, (list = []));
    list.push(a.latencyMs);
  }
  const out = new Map<string, number>();
  for (const [id, list] of samples) {
    list.sort((x, y) => x - y);
    out.set(id, list[list.length >> 1]!);
  }
  return out;
}

/** A map keyed by endpoint id as a record keyed by display name, in name order. */
export function byName<T>(stats: DemoStats, values: ReadonlyMap<string, T>): Record<string, T> {
  const entries = [...values].map(([id, v]) => [stats.names.get(id) ?? id, v] as const);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}
