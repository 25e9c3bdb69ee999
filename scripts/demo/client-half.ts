import { adapterSchemes } from '@wayfinder/adapters';
import { peakEwma, leastRequest, sticky } from '@wayfinder/balancer';
import { coreSchemes, createClient, createResolverPool, type ResolverState, type WayfinderClient } from '@wayfinder/core';
import { withInFlightCount } from './in-flight.js';
import type { DemoStats } from './stats.js';
import { runTraffic } from './traffic.js';
import { type LiveView, startLiveView } from './view.js';

/** Something the scenario does at `atMs` after the traffic starts. */
export interface ScheduledEvent {
  readonly atMs: number;
  run(view: LiveView): Promise<void> | void;
}

export interface ClientHalfOptions {
  target: string;
  path: string;
  durationMs: number;
  ratePerSecond: number;
  policy: 'peak-ewma' | 'least-request';
  stats: DemoStats;
  tty: boolean;
  write: (text: string) => void;
  signal: AbortSignal;
  notes?: ReadonlyMap<string, string>;
  events?: readonly ScheduledEvent[];
  /** Every snapshot the client's resolver publishes (the scenario checks its events with it). */
  onSnapshot?: (state: ResolverState) => void;
  /** Longest wait for the first snapshot. */
  readyTimeoutMs?: number;
  /** Wait until the first snapshot has this many endpoints before sending. */
  expectEndpoints?: number;
}

/** Conversations of the sticky stream (affinity key = conversation id). */
export const CONVERSATIONS = 12;
const SERVICE = 'agents';

/**
 * The client agent: two clients sharing one resolver pool (one watch of the target), a
 * least-loaded one (peak EWMA or least request) and a sticky one for conversations, a live view,
 * and a bounded stream of requests. Closes everything it opened before resolving.
 */
export async function runClientHalf(options: ClientHalfOptions): Promise<void> {
  const { stats } = options;
  const pool = createResolverPool({ schemes: { ...coreSchemes, ...adapterSchemes }, backoff: { initialMs: 200, maxMs: 2000 } });
  const clients: WayfinderClient[] = [];
  let view: LiveView | undefined;
  const timers: NodeJS.Timeout[] = [];
  const running: Promise<void>[] = [];
  try {
    const resolver = pool.acquire(options.target);
    if (options.onSnapshot) resolver.subscribe(options.onSnapshot);
    const first = await resolver.ready({ timeoutMs: options.readyTimeoutMs ?? 10_000, signal: options.signal });
    if (options.expectEndpoints !== undefined && first.endpoints.size < options.expectEndpoints) {
      const deadline = Date.now() + 10_000;
      while ((resolver.current?.endpoints.size ?? 0) < options.expectEndpoints && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    const base = options.policy === 'least-request' ? leastRequest() : peakEwma();
    const common = { services: { [SERVICE]: options.target }, resolverPool: pool, onAttempt: stats.onAttempt, transport: 'undici' as const };
    clients.push(createClient({ ...common, balancer: withInFlightCount(base, stats.inFlight) }));
    clients.push(
      createClient({
        ...common,
        balancer: withInFlightCount(
          sticky({ onRebind: (key, from, to) => stats.rebinds.push({ t: stats.now(), key, from: from.id, to: to.id }) }),
          stats.inFlight,
        ),
      }),
    );
    view = startLiveView({ stats, resolver, tty: options.tty, write: options.write, notes: options.notes ?? new Map(), durationMs: options.durationMs });
    const liveView = view;
    const trafficStart = stats.now();
    for (const event of options.events ?? []) {
      const t = setTimeout(() => {
        if (!options.signal.aborted) running.push(Promise.resolve(event.run(liveView)));
      }, Math.max(0, event.atMs - (stats.now() - trafficStart)));
      timers.push(t);
    }
    await runTraffic({
      client: clients[0]!,
      stickyClient: clients[1]!,
      url: `http://${SERVICE}${options.path}`,
      durationMs: options.durationMs,
      ratePerSecond: options.ratePerSecond,
      conversations: CONVERSATIONS,
      stats,
      signal: options.signal,
    });
    await Promise.allSettled(running);
  } finally {
    for (const t of timers) clearTimeout(t);
    view?.stop();
    await Promise.all(clients.map((c) => c.close()));
    await pool.close();
  }
}
