import { createRegistryStore, type RegistryStore, routeRegistryRequest, type ServiceSnapshotBody } from '@wayfinder/adapters';
import type { Clock } from '@wayfinder/core';
import { EventSource } from 'eventsource';
import { http, type HttpHandler, HttpResponse, sse } from 'msw';

/**
 * msw handlers that speak the Wayfinder HTTP registry protocol (docs/http-registry-protocol.md)
 * from the same schemas and request router as the dev registry, so a consumer's tests can run
 * `registry+http://…` targets and `register()` without a server.
 *
 * msw's `sse()` needs `globalThis.EventSource`; this sets it from the `eventsource` package
 * when the environment has none.
 *
 * @example
 * const registry = createRegistryHandlers({ baseUrl: 'http://registry.test' });
 * const server = setupServer(...registry.handlers);
 * server.listen({ onUnhandledRequest: 'error' });
 * registry.store.put('checkout', 'a', { address: '10.0.0.1', port: 80 }, 30);
 * // createResolver({ target: 'registry+http://registry.test/checkout', schemes: adapterSchemes })
 */
export interface RegistryHandlers {
  /** Pass to `setupServer(...)` or `server.use(...)`. */
  readonly handlers: readonly HttpHandler[];
  /** The registry's state: put, delete and read services directly. */
  readonly store: RegistryStore;
  /** Open SSE streams. */
  readonly watchers: number;
  /** Sends a heartbeat event to every open stream (there are no heartbeat timers here). */
  heartbeat(): void;
  /** Ends every open stream normally (the client resumes with `Last-Event-ID`). */
  disconnectWatchers(): void;
  /** Fails every open stream (a network error on the client side). */
  breakWatchers(): void;
}

export interface RegistryHandlersOptions {
  /** Where the fake registry lives, e.g. `http://registry.test` (may include a base path). */
  baseUrl: string;
  /** Share a store (e.g. between two handler sets); default a new one. */
  store?: RegistryStore;
  /** TTL expiry runs on this clock (a fake clock in tests). */
  clock?: Clock;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
}

interface Watcher {
  readonly service: string;
  unsubscribe(): void;
  send(frame: { id?: string; event: string; data: string }): void;
  close(): void;
  error(): void;
}

export function createRegistryHandlers(options: RegistryHandlersOptions): RegistryHandlers {
  const g = globalThis as { EventSource?: unknown };
  g.EventSource ??= EventSource;
  const base = options.baseUrl.replace(/\/+$/, '');
  const basePath = new URL(base).pathname.replace(/\/+$/, '');
  const store = options.store ?? createRegistryStore(options.clock ? { clock: options.clock } : {});
  const watchers = new Set<Watcher>();
  const protocol = { token: options.token };

  const rest = http.all(`${base}/v1/services/*`, async ({ request }) => {
    const url = new URL(request.url);
    const route = routeRegistryRequest(
      store,
      {
        method: request.method,
        path: url.pathname.slice(basePath.length),
        header: (name) => request.headers.get(name),
        body: request.method === 'PUT' ? await request.text() : undefined,
      },
      protocol,
    );
    if (route.kind === 'watch') return undefined; // falls through to the sse() handler below
    return new HttpResponse(route.response.body ?? null, { status: route.response.status, headers: route.response.headers });
  });

  const stream = sse<{ snapshot: string; heartbeat: string }>(`${base}/v1/services/:service/watch`, ({ client, request }) => {
    const route = routeRegistryRequest(store, { method: 'GET', path: new URL(request.url).pathname.slice(basePath.length), header: (name) => request.headers.get(name) }, protocol);
    if (route.kind !== 'watch') {
      client.error();
      return;
    }
    const watcher: Watcher = {
      service: route.service,
      unsubscribe: () => {},
      send: (frame) => client.send(frame as never),
      close: () => client.close(),
      error: () => client.error(),
    };
    const snapshotFrame = (s: ServiceSnapshotBody) => ({ id: s.revision, event: 'snapshot', data: JSON.stringify(s) });
    watcher.unsubscribe = store.subscribe(route.service, (s) => watcher.send(snapshotFrame(s)));
    watchers.add(watcher);
    request.signal.addEventListener('abort', () => {
      watcher.unsubscribe();
      watchers.delete(watcher);
    });
    const current = store.snapshot(route.service);
    if (route.lastEventId !== current.revision) watcher.send(snapshotFrame(current));
  });

  const endAll = (how: 'close' | 'error') => {
    for (const w of [...watchers]) {
      watchers.delete(w);
      w.unsubscribe();
      w[how]();
    }
  };

  return {
    handlers: [rest, stream],
    store,
    get watchers() {
      return watchers.size;
    },
    heartbeat() {
      for (const w of watchers) w.send({ event: 'heartbeat', data: store.snapshot(w.service).revision });
    },
    disconnectWatchers: () => endAll('close'),
    breakWatchers: () => endAll('error'),
  };
}
