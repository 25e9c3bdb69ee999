import { Pool, type Dispatcher } from 'undici';
import type { CallOutcome, PickedEndpoint } from '../balancer.js';
import type { Clock } from '../clock.js';
import { type Endpoint, endpointAddressKey } from '../endpoint.js';
import { classifyError, classifyStatus } from './classify.js';
import { type LegacyHandler, withHostHeader } from './handlers.js';

/** The reason an attempt is aborted when its response is dropped for a retry (not a failure). */
export class DiscardedForRetry extends Error {
  constructor() {
    super('response discarded: retrying on another endpoint');
    this.name = 'DiscardedForRetry';
  }
}

/** Where one attempt goes and how it reports back. */
export interface AttemptTarget {
  readonly endpoint: Endpoint;
  readonly pick: PickedEndpoint;
  /** `http:` or `https:`. */
  readonly protocol: string;
  /** The `Host` header (and TLS server name, without port) to send. */
  readonly host: string;
  /** True when the caller (not the endpoint) ended the call. */
  readonly callerAborted: () => boolean;
  /** Called once when the attempt ends, after the picker was told. */
  readonly onOutcome?: (outcome: CallOutcome) => void;
}

/**
 * One undici `Pool` per endpoint (and TLS server name): keep-alive connections to the
 * endpoint's address with `Host` and SNI set to the logical name. Pools of endpoints gone from
 * every snapshot are closed gracefully.
 */
export interface EndpointTransport {
  /** Sends `opts` (with `body` instead of `opts.body` when given) to the target's endpoint. */
  dispatch(target: AttemptTarget, opts: Dispatcher.DispatchOptions, handler: LegacyHandler, body?: unknown): boolean;
  /**
   * Ids of endpoints being probed: a request was sent while no connection to them was open
   * and none has connected since. Picks avoid them (softly) until the connection succeeds or
   * fails, so a dead endpoint costs one request, not every request picked in the meantime.
   */
  readonly probing: ReadonlySet<string>;
  /** Closes pools whose endpoint address is not in `live` (address keys). */
  retain(live: ReadonlySet<string>): void;
  close(): Promise<void>;
}

export interface EndpointTransportOptions {
  clock: Clock;
  tls?: Readonly<Record<string, unknown>>;
  poolOptions?: Readonly<Record<string, unknown>>;
}

export function createEndpointTransport(options: EndpointTransportOptions): EndpointTransport {
  const { clock } = options;
  const pools = new Map<string, PoolEntry>();
  const probing = new Set<string>();
  let closed = false;
  const settle = (entry: PoolEntry) => {
    for (const id of entry.probingIds) probing.delete(id);
    entry.probingIds.clear();
  };

  const poolFor = (protocol: string, endpoint: Endpoint, servername: string): PoolEntry => {
    const address = addressOf(endpoint);
    const key = protocol === 'https:' ? `${protocol}${address}|${servername}` : `${protocol}${address}`;
    let entry = pools.get(key);
    if (!entry) {
      const connect = protocol === 'https:' ? { ...(options.tls ?? {}), servername } : undefined;
      const poolOpts = options.poolOptions ?? {};
      const origin = `${protocol}//${address}`;
      const pool = new Pool(origin, {
        ...poolOpts,
        ...(connect ? { connect: { ...((poolOpts.connect as object | undefined) ?? {}), ...connect } } : {}),
      } as Pool.Options) as Pool & { [ORIGIN]: string };
      pool[ORIGIN] = origin;
      const e: PoolEntry = { pool, address, connected: 0, probingIds: new Set() };
      pool.on('connect', () => {
        e.connected++;
        settle(e);
      });
      pool.on('disconnect', () => {
        e.connected = Math.max(0, e.connected - 1);
      });
      pool.on('connectionError', () => settle(e));
      entry = e;
      pools.set(key, entry);
    }
    return entry;
  };

  return {
    dispatch(target, opts, handler, body) {
      const servername = target.protocol === 'https:' ? stripPort(target.host) : '';
      const entry = poolFor(target.protocol, target.endpoint, servername);
      const pool = entry.pool;
      if (entry.connected === 0) {
        entry.probingIds.add(target.endpoint.id);
        probing.add(target.endpoint.id);
      }
      const next = {
        ...opts,
        maxRedirections: undefined,
        ...(body !== undefined ? { body } : {}),
        origin: pool[ORIGIN],
        headers: withHostHeader(opts.headers, target.host),
        // For http the server name is unused, but giving one spares undici an IP-address regex per request.
        servername: servername || target.host,
      } as Dispatcher.DispatchOptions;
      target.pick.onStart();
      return pool.dispatch(next, new ReportingHandler(handler, target, clock) as unknown as Dispatcher.DispatchHandler);
    },
    probing,
    retain(live) {
      for (const [key, entry] of pools) {
        if (!live.has(entry.address)) {
          pools.delete(key);
          settle(entry);
          void entry.pool.close().catch(() => {});
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      probing.clear();
      await Promise.all(all.map((e) => e.pool.destroy().catch(() => {})));
    },
  };
}

const ORIGIN = Symbol('wayfinder.origin');

interface PoolEntry {
  readonly pool: Pool & { [ORIGIN]: string };
  readonly address: string;
  /** Open connections (undici `connect` minus `disconnect` events). */
  connected: number;
  /** Endpoints sent a request while no connection was open, waiting for one. */
  readonly probingIds: Set<string>;
}
const addresses = new WeakMap<Endpoint, string>();
/** `address:port` of an endpoint, computed once per endpoint object. */
function addressOf(endpoint: Endpoint): string {
  let a = addresses.get(endpoint);
  if (a === undefined) {
    a = endpointAddressKey(endpoint.address, endpoint.port);
    addresses.set(endpoint, a);
  }
  return a;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** Forwards every callback and tells the picker how the attempt ended (a class: no closures per call). */
class ReportingHandler implements LegacyHandler {
  readonly #inner: LegacyHandler;
  readonly #target: AttemptTarget;
  readonly #clock: Clock;
  readonly #started: number;
  #status: number | undefined;
  #latencyMs: number | undefined;
  #done = false;

  constructor(inner: LegacyHandler, target: AttemptTarget, clock: Clock) {
    this.#inner = inner;
    this.#target = target;
    this.#clock = clock;
    this.#started = clock.now();
  }

  #end(error?: Error): void {
    if (this.#done) return;
    this.#done = true;
    const status = this.#status;
    const latencyMs = this.#latencyMs ?? this.#clock.now() - this.#started;
    let outcome: CallOutcome;
    if ((error === undefined || error instanceof DiscardedForRetry) && status !== undefined) {
      const failure = classifyStatus(status);
      outcome = failure ? { ok: false, status, failure, latencyMs } : { ok: true, status, latencyMs };
    } else {
      const failure = classifyError(error, this.#target.callerAborted());
      outcome = status !== undefined ? { ok: false, status, error, failure, latencyMs } : { ok: false, error, failure, latencyMs };
    }
    this.#target.pick.onEnd(outcome);
    this.#target.onOutcome?.(outcome);
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    this.#inner.onConnect?.(abort, context);
  }
  onResponseStarted(): void {
    this.#inner.onResponseStarted?.();
  }
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.#status = statusCode;
    this.#end();
    this.#inner.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200 || statusCode === 101) {
      this.#status = statusCode;
      this.#latencyMs = this.#clock.now() - this.#started;
    }
    return this.#inner.onHeaders ? this.#inner.onHeaders(statusCode, rawHeaders, resume, statusText) : true;
  }
  onData(chunk: Buffer): boolean {
    return this.#inner.onData ? this.#inner.onData(chunk) : true;
  }
  onComplete(trailers: Buffer[] | string[] | null): void {
    this.#end();
    this.#inner.onComplete?.(trailers);
  }
  onError(err: Error): void {
    this.#end(err);
    this.#inner.onError?.(err);
  }
  onBodySent(chunk: unknown, total?: number): void {
    this.#inner.onBodySent?.(chunk, total);
  }
  onRequestSent(): void {
    this.#inner.onRequestSent?.();
  }
}
