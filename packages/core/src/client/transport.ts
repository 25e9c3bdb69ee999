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
  dispatch(target: AttemptTarget, opts: Dispatcher.DispatchOptions, handler: LegacyHandler): boolean;
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
  const pools = new Map<string, { pool: Pool; address: string }>();
  let closed = false;

  const poolFor = (protocol: string, endpoint: Endpoint, servername: string): Pool => {
    const address = endpointAddressKey(endpoint.address, endpoint.port);
    const origin = `${protocol}//${address}`;
    const key = protocol === 'https:' ? `${origin}|${servername}` : origin;
    let entry = pools.get(key);
    if (!entry) {
      const connect = protocol === 'https:' ? { ...(options.tls ?? {}), servername } : undefined;
      const poolOpts = options.poolOptions ?? {};
      const pool = new Pool(origin, {
        ...poolOpts,
        ...(connect ? { connect: { ...((poolOpts.connect as object | undefined) ?? {}), ...connect } } : {}),
      } as Pool.Options);
      entry = { pool, address };
      pools.set(key, entry);
    }
    return entry.pool;
  };

  return {
    dispatch(target, opts, handler) {
      const servername = stripPort(target.host);
      const pool = poolFor(target.protocol, target.endpoint, servername);
      const { maxRedirections: _drop, ...rest } = opts as Dispatcher.DispatchOptions & { maxRedirections?: number };
      const next = {
        ...rest,
        origin: `${target.protocol}//${endpointAddressKey(target.endpoint.address, target.endpoint.port)}`,
        headers: withHostHeader(opts.headers, target.host),
        ...(target.protocol === 'https:' ? { servername } : {}),
      } as Dispatcher.DispatchOptions;
      target.pick.onStart();
      return pool.dispatch(next, reportingHandler(handler, target, clock) as unknown as Dispatcher.DispatchHandler);
    },
    retain(live) {
      for (const [key, entry] of pools) {
        if (!live.has(entry.address)) {
          pools.delete(key);
          void entry.pool.close().catch(() => {});
        }
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((e) => e.pool.destroy().catch(() => {})));
    },
  };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/** Forwards every callback and tells the picker how the attempt ended. */
function reportingHandler(inner: LegacyHandler, target: AttemptTarget, clock: Clock): LegacyHandler {
  const started = clock.now();
  let status: number | undefined;
  let latencyMs: number | undefined;
  let done = false;
  const end = (error?: Error) => {
    if (done) return;
    done = true;
    const latency = latencyMs ?? clock.now() - started;
    let outcome: CallOutcome;
    if ((error === undefined || error instanceof DiscardedForRetry) && status !== undefined) {
      const failure = classifyStatus(status);
      outcome = failure ? { ok: false, status, failure, latencyMs: latency } : { ok: true, status, latencyMs: latency };
    } else {
      const failure = classifyError(error, target.callerAborted());
      outcome = status !== undefined ? { ok: false, status, error, failure, latencyMs: latency } : { ok: false, error, failure, latencyMs: latency };
    }
    target.pick.onEnd(outcome);
    target.onOutcome?.(outcome);
  };
  return {
    onConnect: (abort, context) => inner.onConnect?.(abort, context),
    onResponseStarted: () => inner.onResponseStarted?.(),
    onUpgrade(statusCode, rawHeaders, socket) {
      status = statusCode;
      end();
      inner.onUpgrade?.(statusCode, rawHeaders, socket);
    },
    onHeaders(statusCode, rawHeaders, resume, statusText) {
      if (statusCode >= 200 || statusCode === 101) {
        status = statusCode;
        latencyMs = clock.now() - started;
      }
      return inner.onHeaders ? inner.onHeaders(statusCode, rawHeaders, resume, statusText) : true;
    },
    onData: (chunk) => (inner.onData ? inner.onData(chunk) : true),
    onComplete(trailers) {
      end();
      inner.onComplete?.(trailers);
    },
    onError(err) {
      end(err);
      inner.onError?.(err);
    },
    onBodySent: (chunk, total) => inner.onBodySent?.(chunk, total),
    onRequestSent: () => inner.onRequestSent?.(),
  };
}
