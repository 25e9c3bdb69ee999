import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { register, type Registration } from '@wayfinder/adapters';

/** A small agent backend: node:http on 127.0.0.1, registered in the dev registry. */
export interface DemoBackend {
  readonly name: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, the endpoint id in the registry. */
  readonly id: string;
  /** Requests being served right now (server side). */
  readonly active: number;
  /** Requests served to the end since start. */
  readonly served: number;
  /** Requests cut by `kill()` (their clients saw a reset and retried elsewhere). */
  readonly cut: number;
  /** Adds this much latency to every response from now on. */
  slowDown(delayMs: number): void;
  /**
   * Dies without deregistering: the registration's network is cut (no renewal, no DELETE) so
   * the registry drops the endpoint when its TTL passes; the listener and every socket are
   * destroyed at once, in-flight requests included.
   */
  kill(): void;
  /**
   * Graceful drain: marked terminating in the registry, `drainMs` later deregistered; the
   * server then waits for its in-flight requests before closing. Resolves with how many
   * requests completed after the drain began.
   */
  drain(drainMs: number): Promise<{ completedDuringDrain: number }>;
  /** Stops everything that is still running (end of the demo). */
  close(): Promise<void>;
}

export interface DemoBackendOptions {
  name: string;
  registryUrl: string;
  service: string;
  ttlSeconds: number;
  /** Base service time of a request, in ms (a little jitter is added). */
  workMs: number;
}

const BASE_JITTER_MS = 4;

export async function startBackend(options: DemoBackendOptions): Promise<DemoBackend> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let delayMs = options.workMs;
  let active = 0;
  let served = 0;
  let cut = 0;
  let dead = false;
  let drainStartServed: number | undefined;

  const server = http.createServer((req, res) => {
    active++;
    req.resume();
    const timer = setTimeout(() => {
      timers.delete(timer);
      active--;
      served++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ backend: options.name, path: req.url }));
    }, delayMs + Math.random() * BASE_JITTER_MS);
    timers.add(timer);
    res.once('close', () => {
      if (!res.writableFinished && timers.delete(timer)) {
        clearTimeout(timer);
        active--;
        cut++;
      }
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  // The registration talks through this fetch so that kill() can cut it off like a dead host.
  const registryFetch: typeof fetch = (input, init) => (dead ? Promise.reject(new Error('backend killed: network gone')) : fetch(input, init));
  const registration: Registration = register({
    registry: options.registryUrl,
    service: options.service,
    endpoint: { address: '127.0.0.1', port, metadata: { name: options.name } },
    ttlSeconds: options.ttlSeconds,
    fetch: registryFetch,
  });
  await registration.ready({ timeoutMs: 10_000 });

  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    name: options.name,
    port,
    id: registration.id,
    get active() {
      return active;
    },
    get served() {
      return served;
    },
    get cut() {
      return cut;
    },
    slowDown(ms) {
      delayMs = ms;
    },
    kill() {
      dead = true;
      server.close();
      for (const socket of sockets) socket.destroy();
    },
    async drain(drainMs) {
      drainStartServed = served;
      await registration.close({ drainMs });
      // Deregistered: no new work arrives; let the calls already here finish (bounded).
      const deadline = Date.now() + 10_000;
      while (active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await stopServer();
      return { completedDuringDrain: served - drainStartServed };
    },
    async close() {
      dead = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await registration.close({ drainMs: 0 });
      await stopServer();
    },
  };
}
