import type { Dispatcher } from 'undici';
import type { CallOutcome, PickedEndpoint } from '../balancer.js';
import { ClosedError } from '../errors.js';
import { classifyError, classifyStatus, IDEMPOTENT_METHODS } from './classify.js';
import { callSignal, type ClientCore, fetchIsIntercepted } from './client-core.js';
import { toLegacyHandler } from './handlers.js';
import type { WayfinderRequestInit } from './options.js';
import { type AttemptBody, fetchAttemptBody } from './request-body.js';
import {
  type AttemptResult,
  attemptError,
  type CallPlan,
  type CallState,
  continueCall,
  failOver,
  pickAttempt,
  type ResolvedRetry,
  runCall,
  statusFailure,
} from './run-call.js';
import type { RetryBudget } from './retry-budget.js';
import type { ServiceRoute } from './service-route.js';
import type { AttemptTarget } from './transport.js';
import type { Clock } from '../clock.js';
import { type Endpoint, endpointAddressKey } from '../endpoint.js';

// Node's own fetch, captured before any test patch, so the production path never recurses into
// a patched or wrapped global (e.g. `globalThis.fetch = client.fetch`).
const nativeFetch: typeof fetch = globalThis.fetch;

/** `client.fetch`: see {@link WayfinderClient.fetch}. */
export function createClientFetch(core: ClientCore): (input: string | URL | Request, init?: WayfinderRequestInit) => Promise<Response> {
  // Unmapped hosts go to the current global fetch, unless that is this very function
  // (`globalThis.fetch = client.fetch`), which would recurse.
  const passthrough = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    globalThis.fetch === wayfinderFetch ? nativeFetch(input, init) : globalThis.fetch(input, init);
  return wayfinderFetch;
  async function wayfinderFetch(input: string | URL | Request, init?: WayfinderRequestInit): Promise<Response> {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      return passthrough(input, init);
    }
    const route = core.routes.get(url.hostname.toLowerCase());
    if (!route) return passthrough(input, init);
    if (core.closed) throw new ClosedError('wayfinder client');
    return new FetchCall(core, route, url, input instanceof Request ? new Request(input, init) : undefined, init).run();
  }
}

/**
 * One `client.fetch` call: the plan the retry engine reads, and (on the undici transport) the
 * dispatcher Node's fetch sends each attempt through. A class, so that a call allocates one
 * object rather than a dozen closures.
 */
class FetchCall implements CallPlan, CallState {
  readonly core: ClientCore;
  readonly route: ServiceRoute;
  readonly url: URL;
  readonly request: Request | undefined;
  readonly init: WayfinderRequestInit | undefined;
  readonly idempotent: boolean;
  readonly body: AttemptBody<unknown> | undefined;
  readonly callSignal: AbortSignal | undefined;
  readonly deadlineAt: number;
  readonly cleanup: () => void;
  readonly retry: ResolvedRetry;
  readonly viaFetch: boolean;
  /** `url.origin`, read once (URL getters allocate). */
  origin: string | undefined = undefined;
  /** The target of the attempt in flight (attempts run one after another). */
  target: AttemptTarget | undefined = undefined;
  // CallState, inline.
  firstId: string | undefined = undefined;
  tried: Set<string> | undefined = undefined;
  attempts = 0;
  stop: 'budget' | undefined = undefined;
  failedOver = false;

  constructor(core: ClientCore, route: ServiceRoute, url: URL, request: Request | undefined, init: WayfinderRequestInit | undefined) {
    this.core = core;
    this.route = route;
    this.url = url;
    this.request = request;
    this.init = init;
    const method = request?.method ?? init?.method;
    this.idempotent =
      method === undefined || method === 'GET' || IDEMPOTENT_METHODS.has(method.toUpperCase()) || hasHeader(request?.headers ?? init?.headers, 'idempotency-key');
    this.body = request ? undefined : fetchAttemptBody(init?.body);
    const caller = request?.signal ?? init?.signal ?? undefined;
    const timeoutMs = init?.timeoutMs ?? core.timeoutMs;
    if (timeoutMs === undefined) {
      this.callSignal = caller;
      this.deadlineAt = Number.POSITIVE_INFINITY;
      this.cleanup = noop;
    } else {
      const timed = callSignal(core.clock, caller, timeoutMs);
      this.callSignal = timed.signal;
      this.deadlineAt = timed.deadlineAt;
      this.cleanup = timed.cleanup;
    }
    this.retry = init?.retry === undefined ? core.retryFor(undefined) : core.retryFor(init.retry);
    this.viaFetch = core.mode === 'fetch' || (core.mode === 'auto' && fetchIsIntercepted());
  }

  get affinityKey(): string | undefined {
    return this.init?.affinityKey;
  }
  get resolveTimeoutMs(): number {
    return this.core.resolveTimeoutMs;
  }
  get budget(): RetryBudget | undefined {
    return this.core.budgets.get(this.route);
  }
  get clock(): Clock {
    return this.core.clock;
  }
  canResend(): boolean {
    return this.body ? this.body.canResend() : true;
  }
  signal(): AbortSignal | undefined {
    return this.callSignal;
  }
  abortReason(): unknown {
    const signal = this.callSignal;
    return signal?.aborted ? (signal.reason ?? new DOMException('aborted', 'AbortError')) : undefined;
  }
  callerAborted(): boolean {
    return this.callSignal?.aborted ?? false;
  }

  /**
   * Runs the call. The first attempt is a plain promise chain (no async layers, no retry
   * engine); a failure or a retryable status hands the call to the engine (`continueCall`).
   */
  run(): Promise<Response> {
    if (!this.route.synced) return this.settle(runCall<Response>(this, (pick, n) => this.attempt(pick, n)));
    this.budget?.deposit();
    let pick: PickedEndpoint;
    try {
      pick = pickAttempt(this, this, 1);
    } catch (error) {
      return this.settle(continueCall<Response>(this, this, error, (p, n) => this.attempt(p, n)));
    }
    return this.first(pick);
  }

  first(pick: PickedEndpoint): Promise<Response> {
    return this.attempt(pick, 1).then(
      (result) => {
        this.route.release(pick.endpoint.id);
        if (1 < this.retry.maxAttempts && this.retry.statuses.has(result.status)) {
          return this.settle(continueCall<Response>(this, this, statusFailure(result), (p, n) => this.attempt(p, n)));
        }
        this.cleanup();
        return result.value;
      },
      (error: unknown) => {
        const other = failOver(this, this, pick, error);
        if (other) return this.first(other);
        return this.settle(continueCall<Response>(this, this, attemptError(this, pick, error), (p, n) => this.attempt(p, n)));
      },
    );
  }

  settle(result: Promise<Response>): Promise<Response> {
    return result.finally(this.cleanup);
  }

  attempt(pick: PickedEndpoint, attempt: number): Promise<AttemptResult<Response>> {
    try {
      return this.send(pick, attempt).then(fetchResult);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  send(pick: PickedEndpoint, attempt: number): Promise<Response> {
    const { url, request, init, callSignal: signal } = this;
    const target = new FetchTarget(this, pick, attempt);
    let response: Promise<Response>;
    if (this.viaFetch) {
      const endpointUrl = `${url.protocol}//${endpointAddressKey(pick.endpoint.address, pick.endpoint.port)}${url.pathname}${url.search}`;
      response = reportedFetch(pick, target, () =>
        request
          ? globalThis.fetch(new Request(endpointUrl, request.clone()), signal ? { signal } : {})
          : globalThis.fetch(endpointUrl, { ...init, body: this.body!.next() as BodyInit, ...(signal ? { signal } : {}) }),
      );
    } else {
      // Node's fetch sends through this call (its `dispatch`), which knows the attempt's target.
      this.target = target;
      const extra = signal ? { dispatcher: this, signal } : { dispatcher: this };
      response = request
        ? nativeFetch(request.clone(), extra as RequestInit)
        : nativeFetch(url.href, (init ? { ...init, body: this.body!.next() as BodyInit, ...extra } : extra) as RequestInit);
    }
    return response;
  }

  /**
   * The dispatcher of Node's fetch for this call. Redirects to another origin leave the picked
   * endpoint: they go through the client's dispatcher (discovery for mapped hosts, a plain
   * agent for the rest).
   */
  dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = opts.origin;
    const own = (this.origin ??= this.url.origin);
    const same = typeof origin === 'string' ? origin === own : String(origin) === own;
    return same ? this.core.transport.dispatch(this.target!, opts, toLegacyHandler(handler)) : this.core.dispatcher().dispatch(opts, handler);
  }
}

/** Where one attempt of a fetch call goes, and how it reports back. */
class FetchTarget implements AttemptTarget {
  readonly endpoint: Endpoint;
  readonly pick: PickedEndpoint;
  readonly protocol: string;
  readonly host: string;
  readonly #call: FetchCall;
  readonly #attempt: number;

  constructor(call: FetchCall, pick: PickedEndpoint, attempt: number) {
    this.#call = call;
    this.#attempt = attempt;
    this.pick = pick;
    const endpoint = pick.endpoint;
    this.endpoint = endpoint;
    const url = call.url;
    this.protocol = url.protocol;
    this.host = endpoint.hostname ? (url.port ? `${endpoint.hostname}:${url.port}` : endpoint.hostname) : url.host;
  }

  get clock(): Clock {
    return this.#call.core.clock;
  }

  callerAborted(): boolean {
    return this.#call.callerAborted();
  }

  onOutcome(outcome: CallOutcome): void {
    const call = this.#call;
    call.core.onAttempt?.({ service: call.route.name, endpoint: this.endpoint, attempt: this.#attempt, outcome });
  }
}

function fetchResult(response: Response): AttemptResult<Response> {
  return new FetchResult(response);
}

/** An attempt's response for the engine (`Retry-After` is read only when a retry is weighed). */
class FetchResult implements AttemptResult<Response> {
  readonly value: Response;
  readonly status: number;
  constructor(response: Response) {
    this.value = response;
    this.status = response.status;
  }
  get retryAfter(): string | null {
    return this.value.headers.get('retry-after');
  }
  discard(): Promise<void> | undefined {
    return this.value.body?.cancel().catch(() => {});
  }
}

/** The `fetch` transport reports at the response headers (it cannot see the body's end). */
async function reportedFetch(pick: PickedEndpoint, target: FetchTarget, send: () => Promise<Response>): Promise<Response> {
  const clock = target.clock;
  const started = clock.now();
  pick.onStart();
  let outcome: CallOutcome;
  try {
    const response = await send();
    const failure = classifyStatus(response.status);
    const latencyMs = clock.now() - started;
    outcome = failure ? { ok: false, status: response.status, failure, latencyMs } : { ok: true, status: response.status, latencyMs };
    return response;
  } catch (error) {
    outcome = { ok: false, error, failure: classifyError(error, target.callerAborted()), latencyMs: clock.now() - started };
    throw error;
  } finally {
    pick.onEnd(outcome!);
    target.onOutcome(outcome!);
  }
}

function hasHeader(headers: HeadersInit | undefined, name: string): boolean {
  if (!headers) return false;
  if (headers instanceof Headers) return headers.has(name);
  if (Array.isArray(headers)) return headers.some((pair) => String(pair[0]).toLowerCase() === name);
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

const noop = (): void => {};
