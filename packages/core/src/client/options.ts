import type { Dispatcher } from 'undici';
import type { BalancerPolicy, CallOutcome } from '../balancer.js';
import type { Clock } from '../clock.js';
import type { Endpoint } from '../endpoint.js';
import type { Random } from '../random.js';
import type { ResolverPool } from '../resolver-pool.js';
import type { BackoffOptions } from '../backoff.js';
import type { SchemeMap } from '../target.js';

/**
 * Retry settings of a client (and, per call, overrides of them). The rules follow the issue
 * "safe retries on another endpoint":
 * - a request that provably never reached a server (refused, DNS failure of the endpoint,
 *   connect timeout) is retried on another endpoint whatever the method;
 * - a request that may have been processed (5xx, reset or timeout after sending) is retried
 *   only for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) or when it carries an
 *   `Idempotency-Key` header (https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/);
 * - 429 and 503 wait for `Retry-After` when it fits in the call's deadline (RFC 9110 §10.2.3);
 * - a retry budget (Finagle's `RetryBudget`: 20% of requests plus 10 retries per second, tokens
 *   living 10 s) stops retry storms when a whole service is down.
 *
 * @example
 * createClient({ services, retry: { maxAttempts: 2, budget: { ratio: 0.1 } } });
 * client.fetch('http://planner/plan', { method: 'POST', body, retry: false });
 */
export interface RetryOptions {
  /** Total attempts including the first. Default 3; 1 disables retries. */
  maxAttempts?: number;
  /** Statuses retried (subject to idempotency). Default 502, 503, 504 and 429. */
  statuses?: readonly number[];
  /** Longest `Retry-After` honoured, in ms (longer ones return the response). Default 10 000. */
  maxRetryAfterMs?: number;
  /** The retry budget; `false` turns it off (not recommended). */
  budget?: RetryBudgetOptions | false;
}

export interface RetryBudgetOptions {
  /** Retries allowed per request sent. Default 0.2. */
  ratio?: number;
  /** Retries always allowed per second, whatever the traffic. Default 10. */
  minPerSecond?: number;
  /** How long a deposit counts. Default 10 000 ms. */
  ttlMs?: number;
}

/**
 * Per-call options added to `RequestInit`. Everything else behaves as the global `fetch`.
 */
export interface WayfinderCallOptions {
  /** Affinity key for sticky and hashing policies (conversation id, tenant). */
  affinityKey?: string;
  /**
   * Deadline of the whole call, in ms: waiting for the first snapshot, every attempt and every
   * wait between attempts. When it passes the call rejects with a `TimeoutError` DOMException,
   * as `AbortSignal.timeout()` does. Default: the client's `timeoutMs` (none by default).
   */
  timeoutMs?: number;
  /** Overrides of the client's retry options for this call; `false` = a single attempt. */
  retry?: RetryOptions | false;
}

/** `RequestInit` plus {@link WayfinderCallOptions}. */
export type WayfinderRequestInit = RequestInit & WayfinderCallOptions;

/**
 * How requests to mapped services are sent.
 * - `undici` (production): Node's fetch with an undici 7 dispatcher per endpoint (pooled,
 *   keep-alive, `Host` and TLS server name set to the logical name).
 * - `fetch`: the current `globalThis.fetch` with the endpoint's address in the URL: what msw,
 *   nock-style interceptors and other fetch patches see. `Host` and TLS server name are not
 *   rewritten in this mode (Node's fetch forbids it), so use it in tests.
 * - `auto` (default): `undici`, switching to `fetch` while msw's fetch interceptor is applied
 *   (`server.listen()`), so consumers' msw handlers see every request without code changes.
 */
export type ClientTransport = 'auto' | 'undici' | 'fetch';

/** Everything a client reports about one attempt, for logs and metrics. */
export interface AttemptEvent {
  readonly service: string;
  readonly endpoint: Endpoint;
  readonly attempt: number;
  readonly outcome: CallOutcome;
}

export interface ClientOptions {
  /**
   * Logical host name → target, e.g. `{ planner: 'k8s://agents/planner:http' }`. Requests to
   * any other host pass through untouched. Host names are matched case-insensitively.
   */
  services: Readonly<Record<string, string>>;
  /**
   * The balancing policy; one balancer per service (`policy.create()`). Default
   * {@link randomReady} (uniform random over ready endpoints). For production use a policy of
   * `@wayfinder/balancer`, e.g. `leastRequest()` or `peakEwma()`.
   */
  balancer?: BalancerPolicy;
  /** Retry settings; `false` = one attempt per call. */
  retry?: RetryOptions | false;
  /** Scheme → source factory. Default `coreSchemes`; pass `{ ...coreSchemes, ...adapterSchemes }`. */
  schemes?: SchemeMap;
  /** Share resolvers with other clients. Default: a pool owned (and closed) by this client. */
  resolverPool?: ResolverPool;
  /** Default deadline of a call (see {@link WayfinderCallOptions.timeoutMs}). */
  timeoutMs?: number;
  /** Longest wait for a service's first snapshot, within the call's deadline. Default 10 000 ms. */
  resolveTimeoutMs?: number;
  /**
   * How long an endpoint that refused a connection (or failed to connect) is avoided by this
   * client: lifted earlier when it answers, or when a snapshot changes or removes it. Default
   * 10 000 ms. 0 disables it, and with it the probe of endpoints without an open connection
   * (one request until a connection succeeds). See docs/retries.md.
   */
  quarantineMs?: number;
  transport?: ClientTransport;
  /** TLS options for `https` endpoints (`ca`, `cert`, `key`, `rejectUnauthorized`…). */
  tls?: Readonly<Record<string, unknown>>;
  /** Options of the undici `Pool` of each endpoint (`connections`, `keepAliveTimeout`, `connect`…). */
  poolOptions?: Readonly<Record<string, unknown>>;
  /** Called after each attempt with its outcome. */
  onAttempt?: (event: AttemptEvent) => void;
  clock?: Clock;
  random?: Random;
  backoff?: BackoffOptions;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A discovery-aware HTTP client. One per process (or per configuration) is enough; it keeps a
 * resolver per target, a balancer per service and a connection pool per endpoint.
 */
export interface WayfinderClient {
  /**
   * The global `fetch`, discovery-aware: same signature, same `Response`, same errors (an HTTP
   * error status is a normal response). Hosts not in `services` pass through to `globalThis.fetch`.
   */
  fetch(input: string | URL | Request, init?: WayfinderRequestInit): Promise<Response>;
  /**
   * An undici 7 dispatcher doing the same for `undici.request()`, `fetch(url, { dispatcher })`
   * and `setGlobalDispatcher()`. Hosts not in `services` go to a plain undici `Agent`.
   * The request path (`undici.request`) costs several times less CPU per call than `fetch`.
   */
  readonly dispatcher: Dispatcher;
  /** The logical services this client knows. */
  readonly services: readonly string[];
  /** Stops resolvers, balancers and pools. Calls in flight fail; new ones reject with `ClosedError`. */
  close(): Promise<void>;
}
