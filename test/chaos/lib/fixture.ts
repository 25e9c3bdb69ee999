import { adapterSchemes } from '@wayfinder/adapters';
import { leastRequest } from '@wayfinder/balancer';
import { type AttemptEvent, type ClientOptions, coreSchemes, createClient, createResolverPool, type Resolver, type ResolverPool, type ResolverState, type WayfinderClient } from '@wayfinder/core';
import { freePort } from '../../harness/ports.js';
import { type ManagedProcess, waitFor } from '../../harness/processes.js';
import { startRegistryProcess } from '../../registry/helpers.js';
import { type Backend, type BackendOptions, startBackend } from './backends.js';

export const schemes = { ...coreSchemes, ...adapterSchemes };
/** Reconnect quickly in the suite (production default: 800 ms → 30 s). */
export const CHAOS_BACKOFF = { initialMs: 50, maxMs: 500 };

/** The dev registry as a child process (`wayfinder registry`) on a port kept across restarts. */
export interface DevRegistry {
  readonly port: number;
  readonly url: string;
  target(service: string): string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDevRegistry(): Promise<DevRegistry> {
  const port = await freePort();
  let proc: ManagedProcess | undefined = await startRegistryProcess(port);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    target: (service) => `registry+http://127.0.0.1:${port}/${service}`,
    async kill() {
      await proc?.stop({ signal: 'SIGKILL' });
      proc = undefined;
    },
    async start() {
      proc = await startRegistryProcess(port);
    },
    async stop() {
      await proc?.stop({ signal: 'SIGKILL' });
      proc = undefined;
    },
  };
}

/** A client on one service, with a resolver pool shared with the test (to observe snapshots) and attempt counts. */
export interface ChaosClient {
  readonly client: WayfinderClient;
  /** A handle on the very resolver the client uses. */
  readonly resolver: Resolver;
  readonly attempts: AttemptEvent[];
  /** Waits (bounded) until the client's published snapshot satisfies `check`. */
  until(check: (state: ResolverState) => boolean, what: string, timeoutMs?: number): Promise<ResolverState>;
  close(): Promise<void>;
}

export function createChaosClient(target: string, extra: Partial<ClientOptions> = {}): ChaosClient {
  const pool: ResolverPool = createResolverPool({ schemes, backoff: CHAOS_BACKOFF });
  const attempts: AttemptEvent[] = [];
  const client = createClient({
    services: { chaos: target },
    resolverPool: pool,
    balancer: leastRequest(),
    transport: 'undici',
    onAttempt: (event) => attempts.push(event),
    ...extra,
  });
  const resolver = pool.acquire(target);
  return {
    client,
    resolver,
    attempts,
    async until(check, what, timeoutMs = 30_000) {
      await waitFor(() => resolver.current !== undefined && check(resolver.current), {
        timeoutMs,
        what: `${what} (last: ${resolver.current ? `${resolver.current.endpoints.revision} [${ids(resolver.current).join(', ')}]${resolver.current.stale ? ' stale' : ''}` : 'none'})`,
      });
      return resolver.current!;
    },
    async close() {
      await resolver.close();
      await client.close();
      await pool.close();
    },
  };
}

export function ids(state: ResolverState): string[] {
  return state.endpoints.endpoints.map((e) => e.id).sort();
}

/** Starts `n` backends and waits until all are registered. */
export async function startBackends(n: number, options: BackendOptions, into: Backend[]): Promise<Backend[]> {
  const started = Array.from({ length: n }, () => startBackend(options));
  into.push(...started);
  return Promise.all(started.map((b) => b.ready));
}

export async function killAll(backends: Backend[]): Promise<void> {
  await Promise.all(backends.splice(0).map((b) => b.kill()));
}

/** Failed attempts grouped by classification and error code: `connect ECONNREFUSED × 12, …`. */
export function failureCauses(attempts: readonly AttemptEvent[]): string {
  const counts = new Map<string, number>();
  for (const a of attempts) {
    if (a.outcome.ok) continue;
    const e = a.outcome.error as { code?: string; name?: string; cause?: { code?: string } } | undefined;
    const key = `${a.outcome.failure ?? 'status'} ${e?.cause?.code ?? e?.code ?? e?.name ?? a.outcome.status ?? ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size === 0 ? 'none' : [...counts].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} × ${n}`).join(', ');
}
