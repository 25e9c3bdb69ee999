import { buildConnector, Pool, type Dispatcher } from 'undici';
import type { CallOutcome, PickedEndpoint } from '../balancer.js';
import type { Clock } from '../clock.js';
import { type Endpoint, endpointAddressKey } from '../endpoint.js';
import { classifyError, classifyStatus } from './classify.js';
import { dispatchHeader, type LegacyHandler, withHostHeader } from './handlers.js';

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
   * The lower-level send of the request path: `handler` reports the outcome itself (no
   * wrapper). `host` is the `Host` header; for `https:` its name is the TLS server name.
   */
  send(protocol: string, endpoint: Endpoint, host: string, opts: Dispatcher.DispatchOptions, handler: LegacyHandler, body: unknown): boolean;
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
  // The last pool used per endpoint object: most calls skip the key string and the map lookup.
  const lastPool = new WeakMap<Endpoint, PoolEntry>();
  const probing = new Set<string>();
  let closed = false;
  const settle = (entry: PoolEntry) => {
    for (const id of entry.probingIds) probing.delete(id);
    entry.probingIds.clear();
  };

  const poolFor = (protocol: string, endpoint: Endpoint, host: string): PoolEntry => {
    const cached = lastPool.get(endpoint);
    if (cached !== undefined && cached.open && cached.protocol === protocol && cached.host === host) return cached;
    const address = addressOf(endpoint);
    const key = `${protocol}${address}|${host}`;
    let entry = pools.get(key);
    if (!entry) {
      const servername = protocol === 'https:' ? stripPort(host) : '';
      const { pool, logicalOrigin } = createPool(protocol, endpoint, address, host, servername, options);
      const e: PoolEntry = { pool, address, protocol, host, logicalOrigin, open: true, connected: 0, probingIds: new Set() };
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
    lastPool.set(endpoint, entry);
    return entry;
  };

  const send = (protocol: string, endpoint: Endpoint, host: string, opts: Dispatcher.DispatchOptions, handler: LegacyHandler, body: unknown): boolean => {
    const entry = poolFor(protocol, endpoint, host);
    if (entry.connected === 0) {
      entry.probingIds.add(endpoint.id);
      probing.add(endpoint.id);
    }
    // The pool's origin is the logical host and its connector dials the endpoint's address, so
    // undici writes the right Host itself: the caller's options go through as they are, unless
    // they carry something to replace (another body, their own Host, a server name, redirects).
    const sameBody = body === undefined || body === opts.body || (body === null && opts.body == null);
    const extra = opts as { maxRedirections?: number | null; servername?: string | null };
    const redirects = extra.maxRedirections != null && extra.maxRedirections !== 0;
    const next =
      sameBody && entry.logicalOrigin && !redirects && extra.servername == null && (opts.headers == null || dispatchHeader(opts.headers, 'host') === undefined)
        ? opts
        : ({
            ...opts,
            maxRedirections: undefined,
            body: sameBody ? opts.body : body,
            headers: withHostHeader(opts.headers, host),
            servername: protocol === 'https:' ? stripPort(host) : host,
          } as Dispatcher.DispatchOptions);
    return entry.pool.dispatch(next, handler as unknown as Dispatcher.DispatchHandler);
  };

  return {
    dispatch(target, opts, handler, body) {
      const reporting = new ReportingHandler(handler, target, clock);
      target.pick.onStart();
      return send(target.protocol, target.endpoint, target.host, opts, reporting, body);
    },
    send,
    probing,
    retain(live) {
      for (const [key, entry] of pools) {
        if (!live.has(entry.address)) {
          pools.delete(key);
          entry.open = false;
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
      for (const e of all) e.open = false;
      await Promise.all(all.map((e) => e.pool.destroy().catch(() => {})));
    },
  };
}

/** The outcome reported to the picker for an attempt that ended with `status` and/or `error`. */
export function attemptOutcome(status: number | undefined, error: Error | undefined, latencyMs: number, callerAborted: boolean): CallOutcome {
  if ((error === undefined || error instanceof DiscardedForRetry) && status !== undefined) {
    const failure = classifyStatus(status);
    return failure ? { ok: false, status, failure, latencyMs } : { ok: true, status, latencyMs };
  }
  const failure = classifyError(error, callerAborted);
  return status !== undefined ? { ok: false, status, error, failure, latencyMs } : { ok: false, error, failure, latencyMs };
}

interface PoolEntry {
  readonly pool: Pool;
  readonly address: string;
  readonly protocol: string;
  /** The `Host` this pool sends. */
  readonly host: string;
  /** True when the pool's origin is the logical host (undici writes `Host` itself). */
  readonly logicalOrigin: boolean;
  /** False once the pool is closed (its endpoint left every snapshot, or the client closed). */
  open: boolean;
  /** Open connections (undici `connect` minus `disconnect` events). */
  connected: number;
  /** Endpoints sent a request while no connection was open, waiting for one. */
  readonly probingIds: Set<string>;
}
/**
 * A pool for one endpoint and `Host`. Its origin is `protocol//host`, so undici sends that
 * `Host` (and TLS server name) with no per-request header work, while its connector dials the
 * endpoint's address. Should the host not make a valid origin, the pool's origin is the
 * address and every request gets its `Host` header rewritten.
 */
function createPool(
  protocol: string,
  endpoint: Endpoint,
  address: string,
  host: string,
  servername: string,
  options: EndpointTransportOptions,
): { pool: Pool; logicalOrigin: boolean } {
  const poolOpts = (options.poolOptions ?? {}) as Record<string, unknown>;
  const userConnect = poolOpts.connect;
  const tls = protocol === 'https:' ? { ...(options.tls ?? {}), servername } : {};
  let origin: URL | undefined;
  try {
    origin = new URL(`${protocol}//${host}`);
  } catch {
    origin = undefined;
  }
  if (!origin || origin.host !== host) {
    const connect = protocol === 'https:' ? { connect: { ...((userConnect as object | undefined) ?? {}), ...tls } } : {};
    return { pool: new Pool(`${protocol}//${address}`, { ...poolOpts, ...connect } as Pool.Options), logicalOrigin: false };
  }
  // The connector undici would build from these options, dialing the endpoint's address.
  const dial: buildConnector.connector =
    typeof userConnect === 'function'
      ? (userConnect as buildConnector.connector)
      : buildConnector(
          definedOnly({
            maxCachedSessions: poolOpts.maxCachedSessions,
            allowH2: poolOpts.allowH2,
            useH2c: poolOpts.useH2c,
            socketPath: poolOpts.socketPath,
            timeout: poolOpts.connectTimeout,
            ...(typeof poolOpts.autoSelectFamily === 'boolean'
              ? { autoSelectFamily: poolOpts.autoSelectFamily, autoSelectFamilyAttemptTimeout: poolOpts.autoSelectFamilyAttemptTimeout }
              : {}),
            ...((userConnect as object | undefined) ?? {}),
            ...tls,
          }) as buildConnector.BuildOptions,
        );
  const hostname = endpoint.address;
  const port = String(endpoint.port);
  const connect: buildConnector.connector = (opts, callback) => dial({ ...opts, hostname, host: address, port }, callback);
  return { pool: new Pool(origin.origin, { ...poolOpts, connect } as Pool.Options), logicalOrigin: true };
}

function definedOnly(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v;
  return out;
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
    const outcome = attemptOutcome(this.#status, error, this.#latencyMs ?? this.#clock.now() - this.#started, error !== undefined && this.#target.callerAborted());
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
