import type { WayfinderClient } from '@wayfinder/core';
import { type DemoStats, recordFailure } from './stats.js';

export interface TrafficOptions {
  /** Least-loaded traffic (no affinity key). */
  client: WayfinderClient;
  /** Conversations: every call carries an affinity key. */
  stickyClient: WayfinderClient;
  /** `http://<service><path>` */
  url: string;
  durationMs: number;
  ratePerSecond: number;
  conversations: number;
  stats: DemoStats;
  /** Stops early (Ctrl-C). */
  signal: AbortSignal;
}

/** Calls never wait longer than this, so the demo always ends. */
export const CALL_TIMEOUT_MS = 5000;
/** At most this many calls in flight; a tick that finds them all busy is skipped. */
export const MAX_CONCURRENT_CALLS = 128;
/** Every STICKY_EVERY-th call belongs to a conversation. */
const STICKY_EVERY = 5;

/**
 * A steady, bounded stream of idempotent GETs through `client.fetch`: `ratePerSecond` calls
 * per second for `durationMs` (so at most rate × duration calls), scheduled on absolute times so
 * a slow event loop does not stretch the run. Resolves when the last call has ended.
 */
export async function runTraffic(options: TrafficOptions): Promise<void> {
  const { stats, signal } = options;
  const intervalMs = 1000 / options.ratePerSecond;
  const total = Math.floor((options.durationMs / 1000) * options.ratePerSecond);
  const pending = new Set<Promise<void>>();
  const start = performance.now();

  const call = async (n: number) => {
    const sticky = n % STICKY_EVERY === 0;
    const conversation = `conv-${(n / STICKY_EVERY) % options.conversations}`;
    stats.sent++;
    try {
      const res = sticky
        ? await options.stickyClient.fetch(`${options.url}?call=${n}`, { affinityKey: conversation, timeoutMs: CALL_TIMEOUT_MS })
        : await options.client.fetch(`${options.url}?call=${n}`, { timeoutMs: CALL_TIMEOUT_MS });
      await res.arrayBuffer();
      if (res.ok) stats.succeeded++;
      else recordFailure(stats, `HTTP ${res.status}`);
    } catch (error) {
      const e = error as Error & { code?: string };
      recordFailure(stats, `${e.code ?? e.name}: ${e.message}`);
    }
  };

  for (let n = 0; n < total && !signal.aborted; n++) {
    const due = start + n * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (pending.size >= MAX_CONCURRENT_CALLS) continue;
    const p = call(n).finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
}
