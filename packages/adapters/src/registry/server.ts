import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, InvalidOptionError, systemClock, type TimerHandle } from '@wayfinder/core';
import { registryError, type RegistryResponse, routeRegistryRequest, sseHeartbeatFrame, sseSnapshotFrame } from './protocol.js';
import { MAX_HEARTBEAT_INTERVAL_MS, MAX_REGISTRATION_BYTES, type ServiceSnapshotBody } from './schema.js';
import { createRegistryStore, type RegistryStore } from './store.js';

export const DEFAULT_REGISTRY_PORT = 7070;
export const DEFAULT_REGISTRY_HOST = '127.0.0.1';
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
/** A watcher that lets this much output pile up unread is disconnected (it reconnects). */
const MAX_WATCHER_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * The dev registry: an in-memory server of the Wayfinder HTTP registry protocol (TTL expiry,
 * ETag/304, SSE fan-out to many watchers with heartbeats, revisions that never repeat across
 * restarts). For development, demos and tests; production uses Kubernetes, etcd or DNS.
 *
 * @see ../../../../docs/http-registry-protocol.md
 * @see ../../../../docs/registry.md
 *
 * @example
 * const registry = createRegistryServer({ port: 7070 });
 * await registry.listen();
 * // registry+http://127.0.0.1:7070/checkout now resolves
 * await registry.close();
 */
export interface RegistryServer {
  /** Binds the port. Rejects when it is taken. */
  listen(): Promise<void>;
  /** `http://host:port` once listening. */
  readonly url: string;
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  readonly store: RegistryStore;
  /** Open SSE streams. */
  readonly watchers: number;
  /** Ends every stream and connection and stops every timer. */
  close(): Promise<void>;
}

export interface RegistryServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7070; 0 picks a free port. */
  port?: number;
  clock?: Clock;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Heartbeat period of SSE streams. Default 5000 ms; at most 15 000 (the protocol's bound). */
  heartbeatIntervalMs?: number;
  /** Fixed revision epoch (tests). Default random per server. */
  epoch?: string;
  /**
   * After it starts, for this long the server asks clients that hold a revision of an earlier
   * registry process to keep their last good set (503 `recovering`), while registrants renew
   * and so re-register (protocol §2.3). Should exceed the registrants' renewal interval (a
   * third of their TTL). Default {@link DEFAULT_RESTART_GRACE_MS}; 0 disables it.
   */
  restartGraceMs?: number;
}

/** Default restart grace: registrants with the default 10 s TTL renew every 3.3 s. */
export const DEFAULT_RESTART_GRACE_MS = 5000;

export function createRegistryServer(options: RegistryServerOptions = {}): RegistryServer {
  const host = options.host ?? DEFAULT_REGISTRY_HOST;
  const requestedPort = options.port ?? DEFAULT_REGISTRY_PORT;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) throw new InvalidOptionError('port', requestedPort, 'must be an integer 0-65535');
  const heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  if (!(heartbeatMs > 0 && heartbeatMs <= MAX_HEARTBEAT_INTERVAL_MS)) throw new InvalidOptionError('heartbeatIntervalMs', heartbeatMs, `must be > 0 and ≤ ${MAX_HEARTBEAT_INTERVAL_MS}`);
  if (options.token !== undefined && options.token.length === 0) throw new InvalidOptionError('token', '(empty)', 'must not be empty');
  const clock = options.clock ?? systemClock;
  const graceMs = options.restartGraceMs ?? DEFAULT_RESTART_GRACE_MS;
  if (!(graceMs >= 0) || !Number.isFinite(graceMs)) throw new InvalidOptionError('restartGraceMs', graceMs, 'must be a number ≥ 0');
  let startedAt: number | undefined;
  const restartGraceRemainingMs = () => (startedAt === undefined ? graceMs : Math.max(0, startedAt + graceMs - clock.now()));
  const store = createRegistryStore({ clock, ...(options.epoch ? { epoch: options.epoch } : {}) });
  const streams = new Set<{ res: http.ServerResponse; service: string; unsubscribe: () => void }>();
  let heartbeat: TimerHandle | undefined;
  let port = 0;
  let closed = false;

  const beat = () => {
    heartbeat = undefined;
    for (const s of streams) send(s, sseHeartbeatFrame(store.snapshot(s.service).revision));
    if (!closed) heartbeat = clock.setTimeout(beat, heartbeatMs);
  };
  const send = (stream: { res: http.ServerResponse; unsubscribe: () => void }, frame: string) => {
    if (stream.res.writableLength > MAX_WATCHER_BACKLOG_BYTES) {
      stream.res.destroy();
      return;
    }
    stream.res.write(frame);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REGISTRATION_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) return write(res, registryError(413, 'payload_too_large', `the body is over ${MAX_REGISTRATION_BYTES} bytes`), true);
      const url = new URL(req.url ?? '/', 'http://registry');
      const route = routeRegistryRequest(
        store,
        {
          method: req.method ?? 'GET',
          path: url.pathname,
          header: (name) => {
            const v = req.headers[name.toLowerCase()];
            return Array.isArray(v) ? v.join(', ') : v;
          },
          body: Buffer.concat(chunks).toString('utf8'),
        },
        { token: options.token, restartGraceRemainingMs },
      );
      if (route.kind === 'response') return write(res, route.response, req.method === 'HEAD');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      const stream = {
        res,
        service: route.service,
        unsubscribe: store.subscribe(route.service, (snapshot: ServiceSnapshotBody) => send(stream, sseSnapshotFrame(snapshot))),
      };
      streams.add(stream);
      const current = store.snapshot(route.service);
      if (route.lastEventId !== current.revision) send(stream, sseSnapshotFrame(current));
      res.on('close', () => {
        stream.unsubscribe();
        streams.delete(stream);
      });
    });
  });
  server.keepAliveTimeout = 5000;

  return {
    store,
    get url() {
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    },
    get port() {
      return port;
    },
    get watchers() {
      return streams.size;
    },
    listen() {
      return new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(requestedPort, host, () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          startedAt = clock.now();
          heartbeat ??= clock.setTimeout(beat, heartbeatMs);
          resolve();
        });
      });
    },
    async close() {
      closed = true;
      if (heartbeat !== undefined) clock.clearTimeout(heartbeat);
      for (const s of streams) s.res.end();
      store.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function write(res: http.ServerResponse, response: RegistryResponse, headOnly: boolean): void {
  res.writeHead(response.status, response.headers);
  res.end(headOnly || response.body === undefined ? undefined : response.body);
}
