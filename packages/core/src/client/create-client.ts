import { Agent } from 'undici';
import { systemClock } from '../clock.js';
import { coreSchemes } from '../create-source.js';
import { InvalidOptionError } from '../errors.js';
import { createResolverPool } from '../resolver-pool.js';
import { createClientFetch } from './client-fetch.js';
import { type ClientCore, DEFAULT_QUARANTINE_MS, DEFAULT_RESOLVE_TIMEOUT_MS, resolveRetry } from './client-core.js';
import { WayfinderDispatcher } from './client-dispatcher.js';
import type { ClientOptions, WayfinderClient } from './options.js';
import { randomReady } from './random-ready.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import { createServiceRoute, type ServiceRoute } from './service-route.js';
import { createEndpointTransport } from './transport.js';

const TRANSPORTS = new Set(['auto', 'undici', 'fetch']);
const HOST_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * Creates a discovery-aware HTTP client: `fetch` with the global fetch's signature, an undici
 * `dispatcher`, both resolving logical host names through Wayfinder targets, picking an
 * endpoint per call, retrying safely on another endpoint and reporting outcomes to the picker.
 * See docs/client.md.
 *
 * @example
 * import { createClient } from '@wayfinder/core';
 * import { adapterSchemes } from '@wayfinder/adapters';
 * import { leastRequest } from '@wayfinder/balancer';
 *
 * const client = createClient({
 *   services: { planner: 'k8s://agents/planner:http' },
 *   schemes: { ...coreSchemes, ...adapterSchemes },
 *   balancer: leastRequest(),
 * });
 * const res = await client.fetch('http://planner/v1/plan', { method: 'POST', body, headers: { 'idempotency-key': id } });
 */
export function createClient(options: ClientOptions): WayfinderClient {
  if (!options || typeof options.services !== 'object' || options.services === null) {
    throw new InvalidOptionError('services', options?.services, 'must map logical host names to targets');
  }
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const mode = options.transport ?? 'auto';
  if (!TRANSPORTS.has(mode)) throw new InvalidOptionError('transport', mode, 'must be "auto", "undici" or "fetch"');
  const quarantineMs = options.quarantineMs ?? DEFAULT_QUARANTINE_MS;
  if (!(quarantineMs >= 0)) throw new InvalidOptionError('quarantineMs', quarantineMs, 'must be a number ≥ 0');
  const resolveTimeoutMs = options.resolveTimeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS;
  if (!(resolveTimeoutMs > 0)) throw new InvalidOptionError('resolveTimeoutMs', resolveTimeoutMs, 'must be a number > 0');
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw new InvalidOptionError('timeoutMs', options.timeoutMs, 'must be a number > 0');
  const baseRetry = options.retry;
  const defaultRetry = resolveRetry(baseRetry, 'retry');
  const policy = options.balancer ?? randomReady();
  if (typeof policy?.create !== 'function') throw new InvalidOptionError('balancer', policy, 'must be a BalancerPolicy (with create())');

  const ownPool = options.resolverPool === undefined;
  const pool =
    options.resolverPool ??
    createResolverPool({
      schemes: options.schemes ?? coreSchemes,
      clock,
      random,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
  const transport = createEndpointTransport({ clock, ...(options.tls ? { tls: options.tls } : {}), ...(options.poolOptions ? { poolOptions: options.poolOptions } : {}) });

  const routes = new Map<string, ServiceRoute>();
  const budgets = new Map<ServiceRoute, RetryBudget>();
  const retain = () => {
    const live = new Set<string>();
    for (const r of routes.values()) {
      for (const a of r.currentAddresses()) live.add(a);
    }
    transport.retain(live);
  };
  try {
    for (const [host, target] of Object.entries(options.services)) {
      const name = host.toLowerCase();
      if (!HOST_RE.test(name)) throw new InvalidOptionError(`services.${host}`, host, 'must be a host name (letters, digits, dots and dashes)');
      if (typeof target !== 'string') throw new InvalidOptionError(`services.${host}`, target, 'must be a target string');
      const route = createServiceRoute({ name, target, pool, policy, clock, random, quarantineMs, ...(quarantineMs > 0 ? { avoid: transport.probing } : {}) });
      routes.set(name, route);
      route.onSnapshot(retain);
      if (baseRetry !== false && baseRetry?.budget !== false) budgets.set(route, createRetryBudget(baseRetry?.budget || {}, clock));
    }
  } catch (error) {
    for (const r of routes.values()) void r.close();
    if (ownPool) void pool.close();
    throw error;
  }

  let closed = false;
  let closing: Promise<void> | undefined;
  const passthrough = new Agent();
  const close = () =>
    (closing ??= (async () => {
      closed = true;
      await Promise.all([...routes.values()].map((r) => r.close()));
      if (ownPool) await pool.close();
      await transport.close();
      await passthrough.close().catch(() => {});
    })());

  const core: ClientCore = {
    routes,
    transport,
    clock,
    budgets,
    timeoutMs: options.timeoutMs,
    resolveTimeoutMs,
    mode,
    onAttempt: options.onAttempt,
    get closed() {
      return closed;
    },
    dispatcher: () => dispatcher,
    retryFor: (override) => (override === undefined ? defaultRetry : override === false ? resolveRetry(false, 'retry') : resolveRetry({ ...(baseRetry || {}), ...override }, 'retry')),
  };
  const dispatcher = new WayfinderDispatcher(core, passthrough, close);
  return {
    fetch: createClientFetch(core),
    dispatcher,
    services: Object.freeze([...routes.keys()]),
    close,
  };
}
