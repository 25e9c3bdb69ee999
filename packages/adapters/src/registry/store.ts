import { randomBytes } from 'node:crypto';
import { type Clock, type Endpoint, type EndpointInput, endpointToJSON, InvalidOptionError, parseEndpoint, systemClock, type TimerHandle } from '@wayfinder/core';
import { MAX_ENDPOINTS_PER_SERVICE, type RegistrationResponseBody, type ServiceSnapshotBody } from './schema.js';

/**
 * The in-memory state of a dev registry: services, their endpoints with TTLs, and revisions of
 * the form `<epoch>-<counter>` that never repeat across restarts (a random epoch per store).
 * Shared by the dev server (`createRegistryServer`) and the msw handlers of `@wayfinder/testing`.
 *
 * @see ../../../../docs/http-registry-protocol.md (sections 2, 5, 6)
 *
 * @example
 * const store = createRegistryStore({ clock });
 * store.put('checkout', '10.0.0.1:80', { address: '10.0.0.1', port: 80 }, 10);
 * store.snapshot('checkout').endpoints.length; // 1
 */
export interface RegistryStore {
  /** Random per store; a restarted registry has a new one. */
  readonly epoch: string;
  /** The current snapshot of a service (empty, revision `<epoch>-0`, when never registered). */
  snapshot(service: string): ServiceSnapshotBody;
  /** Registers or renews; `endpoint.id` is set to `id`. Throws {@link RegistryLimitError} when full. */
  put(service: string, id: string, endpoint: EndpointInput, ttlSeconds: number): RegistrationResponseBody;
  /** Deregisters; false when the id was not registered. */
  delete(service: string, id: string): boolean;
  /** Calls `listener` with every new snapshot of `service`. Returns the unsubscribe function. */
  subscribe(service: string, listener: (snapshot: ServiceSnapshotBody) => void): () => void;
  /** Clears every TTL timer and listener. */
  close(): void;
}

export interface RegistryStoreOptions {
  clock?: Clock;
  /** Fixed epoch (tests); default 12 random base-36 characters. */
  epoch?: string;
  maxEndpointsPerService?: number;
}

/** A service is at its endpoint limit. */
export class RegistryLimitError extends Error {
  constructor(service: string, limit: number) {
    super(`service "${service}" already has ${limit} endpoints`);
    this.name = 'RegistryLimitError';
  }
}

interface Entry {
  endpoint: Endpoint;
  expiry: TimerHandle;
}

interface ServiceState {
  entries: Map<string, Entry>;
  counter: number;
  cached: ServiceSnapshotBody | undefined;
}

export function createRegistryStore(options: RegistryStoreOptions = {}): RegistryStore {
  const clock = options.clock ?? systemClock;
  const epoch = options.epoch ?? randomEpoch();
  if (!/^[A-Za-z0-9]{1,32}$/.test(epoch)) throw new InvalidOptionError('epoch', epoch, 'must be 1-32 of [A-Za-z0-9]');
  const limit = options.maxEndpointsPerService ?? MAX_ENDPOINTS_PER_SERVICE;
  const services = new Map<string, ServiceState>();
  const listeners = new Map<string, Set<(s: ServiceSnapshotBody) => void>>();
  let counter = 0;

  const state = (service: string): ServiceState => {
    let s = services.get(service);
    if (!s) services.set(service, (s = { entries: new Map(), counter: 0, cached: undefined }));
    return s;
  };
  const snapshot = (service: string): ServiceSnapshotBody => {
    const s = services.get(service);
    if (!s) return { service, revision: `${epoch}-0`, endpoints: [] };
    s.cached ??= {
      service,
      revision: `${epoch}-${s.counter}`,
      endpoints: [...s.entries.values()].map((e) => toWire(e.endpoint)),
    };
    return s.cached;
  };
  const changed = (service: string, s: ServiceState) => {
    s.counter = ++counter;
    s.cached = undefined;
    const set = listeners.get(service);
    if (!set || set.size === 0) return;
    const snap = snapshot(service);
    for (const listener of [...set]) listener(snap);
  };
  const expire = (service: string, id: string) => {
    const s = services.get(service);
    if (!s?.entries.delete(id)) return;
    changed(service, s);
  };

  return {
    epoch,
    snapshot,
    put(service, id, input, ttlSeconds) {
      const s = state(service);
      const previous = s.entries.get(id);
      if (!previous && s.entries.size >= limit) throw new RegistryLimitError(service, limit);
      const endpoint = parseEndpoint({ ...input, id });
      if (previous) clock.clearTimeout(previous.expiry);
      const expiry = clock.setTimeout(() => expire(service, id), ttlSeconds * 1000);
      s.entries.set(id, { endpoint, expiry });
      if (!previous || JSON.stringify(toWire(previous.endpoint)) !== JSON.stringify(toWire(endpoint))) changed(service, s);
      return { service, id, revision: snapshot(service).revision, ttlSeconds, created: !previous };
    },
    delete(service, id) {
      const s = services.get(service);
      const entry = s?.entries.get(id);
      if (!s || !entry) return false;
      clock.clearTimeout(entry.expiry);
      s.entries.delete(id);
      changed(service, s);
      return true;
    },
    subscribe(service, listener) {
      let set = listeners.get(service);
      if (!set) listeners.set(service, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(service) === set) listeners.delete(service);
      };
    },
    close() {
      for (const s of services.values()) for (const e of s.entries.values()) clock.clearTimeout(e.expiry);
      listeners.clear();
    },
  };
}

/** The wire JSON of an endpoint: every field, so a client rebuilds exactly the same endpoint. */
export function toWire(e: Endpoint): EndpointInput {
  return {
    ...endpointToJSON(e),
    ...(e.ports ? { ports: { ...e.ports } } : {}),
    ...(e.hints ? { hints: { ...e.hints } as EndpointInput['hints'] } : {}),
    metadata: { ...e.metadata },
  };
}

function randomEpoch(): string {
  const bytes = randomBytes(12);
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}
