import type { Balancer, BalancerPolicy, PickResult, Picker } from '../balancer.js';
import type { Clock } from '../clock.js';
import { type Endpoint, endpointAddressKey, endpointsEqual } from '../endpoint.js';
import { NoEndpointsError } from '../errors.js';
import type { Random } from '../random.js';
import type { Resolver, ResolverState } from '../resolver.js';
import type { ResolverPool } from '../resolver-pool.js';

/**
 * One logical service of a client: its shared resolver, its balancer, the current picker
 * (rebuilt on every snapshot) and the client-side quarantine of endpoints that refused a
 * connection.
 */
export interface ServiceRoute {
  readonly name: string;
  readonly target: string;
  /** True once a picker exists (first snapshot seen). */
  readonly synced: boolean;
  /** Waits for the first snapshot. */
  ready(options: { signal?: AbortSignal; timeoutMs: number }): Promise<void>;
  pick(affinityKey: string | undefined, tried: ReadonlySet<string> | undefined): PickResult;
  /** Avoid this endpoint for `quarantineMs`, or until a snapshot changes or drops it. */
  quarantine(endpoint: Endpoint): void;
  /** Lifts the quarantine of an endpoint that answered. */
  release(endpointId: string): void;
  /** True while this endpoint is quarantined (an earlier attempt was refused by it). */
  isQuarantined(endpointId: string): boolean;
  /** `address:port` of the endpoints in the current snapshot (connection pools are keyed so). */
  currentAddresses(): ReadonlySet<string>;
  onSnapshot(listener: (state: ResolverState) => void): void;
  close(): Promise<void>;
}

export interface ServiceRouteOptions {
  name: string;
  target: string;
  pool: ResolverPool;
  policy: BalancerPolicy;
  clock: Clock;
  random: Random;
  quarantineMs: number;
  /** Endpoint ids to avoid while others remain, besides the quarantine (the transport's probes). */
  avoid?: ReadonlySet<string>;
}

export function createServiceRoute(options: ServiceRouteOptions): ServiceRoute {
  const { name, target, clock, quarantineMs } = options;
  const resolver: Resolver = options.pool.acquire(target);
  const balancer: Balancer = options.policy.create({ clock, random: options.random, target });
  let picker: Picker | undefined;
  let addresses: ReadonlySet<string> = new Set();
  const quarantined = new Map<string, { endpoint: Endpoint; untilMs: number }>();
  const listeners: ((state: ResolverState) => void)[] = [];

  const apply = (state: ResolverState) => {
    picker = balancer.build(state.endpoints);
    addresses = new Set(state.endpoints.endpoints.map((e) => endpointAddressKey(e.address, e.port)));
    for (const [id, q] of quarantined) {
      const now = state.endpoints.get(id);
      if (!now || (now !== q.endpoint && !endpointsEqual(now, q.endpoint))) quarantined.delete(id);
    }
    for (const l of listeners) l(state);
  };
  const unsubscribe = resolver.subscribe(apply);

  const avoid = options.avoid;
  const excluded = (tried: ReadonlySet<string> | undefined, affinityKey: string | undefined): ReadonlySet<string> | undefined => {
    // Probing diverts calls from an endpoint only for lack of a connection yet, not for a
    // failure: a keyed call keeps its endpoint, so replicas that never talked agree on it.
    const probing = affinityKey === undefined && avoid !== undefined && avoid.size > 0;
    if (quarantined.size === 0 && !probing) return tried;
    const now = clock.now();
    const out = new Set(tried);
    for (const [id, q] of quarantined) {
      if (q.untilMs <= now) quarantined.delete(id);
      else out.add(id);
    }
    if (probing) for (const id of avoid) out.add(id);
    return out.size > 0 ? out : undefined;
  };

  return {
    name,
    target,
    get synced() {
      return picker !== undefined;
    },
    async ready({ signal, timeoutMs }) {
      if (picker) return;
      const state = await resolver.ready({ ...(signal ? { signal } : {}), timeoutMs });
      if (!picker) apply(state);
    },
    pick(affinityKey, tried) {
      if (!picker) return { type: 'unavailable', error: new NoEndpointsError('empty', { service: name, target, detail: 'not resolved yet' }) };
      const exclude = excluded(tried, affinityKey);
      const result = picker.pick(affinityKey === undefined && exclude === undefined ? undefined : { affinityKey, exclude });
      if (result.type === 'unavailable' && result.error.service === undefined) {
        return { type: 'unavailable', error: new NoEndpointsError(result.error.reason, { service: name, target, cause: result.error }) };
      }
      return result;
    },
    quarantine(endpoint) {
      if (quarantineMs > 0) quarantined.set(endpoint.id, { endpoint, untilMs: clock.now() + quarantineMs });
    },
    release(endpointId) {
      if (quarantined.size > 0) quarantined.delete(endpointId);
    },
    isQuarantined(endpointId) {
      if (quarantined.size === 0) return false;
      const q = quarantined.get(endpointId);
      return q !== undefined && q.untilMs > clock.now();
    },
    currentAddresses: () => addresses,
    onSnapshot(listener) {
      listeners.push(listener);
    },
    async close() {
      unsubscribe();
      balancer.close?.();
      await resolver.close();
    },
  };
}
