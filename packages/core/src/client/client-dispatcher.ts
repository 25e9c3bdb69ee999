import { Dispatcher, errors as undiciErrors } from 'undici';
import { ClosedError } from '../errors.js';
import { IDEMPOTENT_METHODS } from './classify.js';
import { attemptTarget, callSignal, type ClientCore } from './client-core.js';
import { dispatchHeader, type LegacyHandler, rawHeader, toLegacyHandler } from './handlers.js';
import { dispatchAttemptBody } from './request-body.js';
import { type AttemptResult, type CallPlan, type ResolvedRetry, runCall } from './run-call.js';
import type { AttemptBody } from './request-body.js';
import type { RetryBudget } from './retry-budget.js';
import type { Clock } from '../clock.js';
import type { ServiceRoute } from './service-route.js';
import type { PickedEndpoint } from '../balancer.js';
import { DiscardedForRetry } from './transport.js';

/**
 * `client.dispatcher`: an undici 7 dispatcher that resolves, picks, retries and reports like
 * `client.fetch`. Origins whose host is not a mapped service go to `passthrough`.
 */
export class WayfinderDispatcher extends Dispatcher {
  readonly #core: ClientCore;
  readonly #passthrough: Dispatcher;
  readonly #onClose: () => Promise<void>;

  constructor(core: ClientCore, passthrough: Dispatcher, onClose: () => Promise<void>) {
    super();
    this.#core = core;
    this.#passthrough = passthrough;
    this.#onClose = onClose;
  }

  // Origins seen recently, parsed (a bounded cache: parsing a URL per request costs more than the pick).
  readonly #origins = new Map<string, { url: URL; route: ServiceRoute | undefined }>();

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const key = opts.origin === undefined ? undefined : String(opts.origin);
    let entry = key === undefined ? undefined : this.#origins.get(key);
    if (key !== undefined && !entry) {
      const url = new URL(key);
      entry = { url, route: this.#core.routes.get(url.hostname.toLowerCase()) };
      if (this.#origins.size >= MAX_CACHED_ORIGINS) this.#origins.clear();
      this.#origins.set(key, entry);
    }
    const route = entry?.route;
    const origin = entry?.url;
    if (!route || !origin) return this.#passthrough.dispatch(opts, handler);
    const user = toLegacyHandler(handler);
    if (this.#core.closed) {
      queueMicrotask(() => user.onError?.(new ClosedError('wayfinder client')));
      return true;
    }
    dispatchMapped(this.#core, route, origin, opts, user);
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.#onClose();
    if (callback) void done.then(callback, callback);
    else return done;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const callback = typeof a === 'function' ? (a as () => void) : (b as (() => void) | undefined);
    const done = this.#onClose();
    if (callback) void done.then(callback, callback);
    else return done;
  }
}

function dispatchMapped(core: ClientCore, route: ServiceRoute, origin: URL, opts: Dispatcher.DispatchOptions, user: LegacyHandler): void {
  const call = new MappedCall(core, route, origin, opts, user);
  runCall<() => void>(call, call.attempt).then(call.succeed, call.fail);
}

/**
 * One call through the dispatcher: the plan `runCall` reads, and the caller's handler. The
 * abort machinery is created only when needed (a deadline, a retry, or a caller abort): most
 * calls end after one attempt and never need it. Classes rather than closures keep the
 * per-call allocations down on this hot path.
 */
class MappedCall implements CallPlan {
  readonly route: ServiceRoute;
  readonly idempotent: boolean;
  readonly affinityKey = undefined;
  readonly deadlineAt: number;
  readonly resolveTimeoutMs: number;
  readonly retry: ResolvedRetry;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
  readonly core: ClientCore;
  readonly origin: URL;
  readonly opts: Dispatcher.DispatchOptions;
  readonly user: LegacyHandler;
  readonly body: AttemptBody<unknown>;
  reason: unknown;
  controller: AbortController | undefined;
  abortAttempt: ((err?: Error) => void) | undefined;
  cleanup: () => void = noop;

  constructor(core: ClientCore, route: ServiceRoute, origin: URL, opts: Dispatcher.DispatchOptions, user: LegacyHandler) {
    this.core = core;
    this.route = route;
    this.origin = origin;
    this.opts = opts;
    this.user = user;
    this.idempotent = IDEMPOTENT_METHODS.has(opts.method.toUpperCase()) || dispatchHeader(opts.headers, 'idempotency-key') !== undefined;
    this.body = dispatchAttemptBody(opts.body);
    this.retry = core.retryFor(undefined);
    this.budget = core.budgets.get(route);
    this.clock = core.clock;
    this.resolveTimeoutMs = core.resolveTimeoutMs;
    let deadlineAt = Number.POSITIVE_INFINITY;
    if (core.timeoutMs !== undefined) {
      const timed = callSignal(core.clock, this.signal(), core.timeoutMs);
      deadlineAt = timed.deadlineAt;
      this.cleanup = timed.cleanup;
      timed.signal!.addEventListener('abort', () => this.abortAll(timed.signal!.reason), { once: true });
    }
    this.deadlineAt = deadlineAt;
    user.onConnect?.((err?: Error) => this.abortAll(err ?? new undiciErrors.RequestAbortedError()));
  }

  abortAll(err: unknown): void {
    if (this.reason !== undefined) return;
    this.reason = err;
    this.controller?.abort(err);
    this.abortAttempt?.(err as Error);
  }

  signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abortReason(): unknown {
    return this.reason;
  }

  canResend(): boolean {
    return this.body.canResend();
  }

  readonly attempt = (pick: PickedEndpoint, attemptNumber: number): Promise<AttemptResult<() => void>> =>
    new Promise((resolve, reject) => {
      const handler = new AttemptHandler(this, attemptNumber, resolve, reject);
      const target = attemptTarget(this.core, this.route, pick, this.origin, attemptNumber, this.callerAborted);
      this.core.transport.dispatch(target, this.opts, handler, this.body.next() ?? null);
    });

  readonly callerAborted = (): boolean => this.reason !== undefined;

  readonly succeed = (commit: () => void): void => {
    this.cleanup();
    commit();
  };

  readonly fail = (error: unknown): void => {
    this.cleanup();
    this.user.onError?.(error instanceof Error ? error : new Error(String(error)));
  };
}

/**
 * One attempt's handler: passes the response to the caller's handler at once, or holds back
 * a retryable one (paused) until the engine decides to return it or to retry.
 */
class AttemptHandler implements LegacyHandler {
  readonly #call: MappedCall;
  readonly #attemptNumber: number;
  readonly #resolve: (result: AttemptResult<() => void>) => void;
  readonly #reject: (error: unknown) => void;
  #settled = false;
  #committed = false;
  #discarded = false;
  #stashed: { status: number; raw: Buffer[] | string[]; resume: () => void; text: string } | undefined;
  #chunks: Buffer[] | undefined;
  #ended: { trailers: Buffer[] | string[] | null } | { error: Error } | undefined;
  #abort: ((err?: Error) => void) | undefined;

  constructor(call: MappedCall, attemptNumber: number, resolve: (result: AttemptResult<() => void>) => void, reject: (error: unknown) => void) {
    this.#call = call;
    this.#attemptNumber = attemptNumber;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    this.#call.abortAttempt = abort;
    if (this.#call.reason !== undefined) abort(this.#call.reason as Error);
  }
  onResponseStarted(): void {
    this.#call.user.onResponseStarted?.();
  }
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.#committed = this.#settled = true;
    this.#resolve({ status: statusCode, retryAfter: null, value: noop, discard: noop });
    this.#call.user.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  onHeaders(status: number, raw: Buffer[] | string[], resume: () => void, text: string): boolean {
    const user = this.#call.user;
    if (status < 200) return user.onHeaders?.(status, raw, resume, text) ?? true;
    this.#settled = true;
    const retry = this.#call.retry;
    if (this.#attemptNumber < retry.maxAttempts && retry.statuses.has(status)) {
      this.#stashed = { status, raw, resume, text };
      this.#resolve({ status, retryAfter: rawHeader(raw, 'retry-after'), value: () => this.#commit(), discard: () => this.#discard() });
      return false;
    }
    this.#committed = true;
    this.#resolve({ status, retryAfter: null, value: noop, discard: noop });
    return user.onHeaders?.(status, raw, resume, text) ?? true;
  }
  onData(chunk: Buffer): boolean {
    if (this.#committed) return this.#call.user.onData?.(chunk) ?? true;
    (this.#chunks ??= []).push(chunk);
    return false;
  }
  onComplete(trailers: Buffer[] | string[] | null): void {
    if (this.#committed) this.#call.user.onComplete?.(trailers);
    else if (!this.#discarded) this.#ended = { trailers };
  }
  onError(err: Error): void {
    if (this.#committed) this.#call.user.onError?.(err);
    else if (!this.#settled) {
      this.#settled = true;
      this.#reject(err);
    } else if (!this.#discarded) this.#ended = { error: err };
  }

  #commit(): void {
    this.#committed = true;
    const user = this.#call.user;
    const s = this.#stashed!;
    const more = user.onHeaders?.(s.status, s.raw, s.resume, s.text) ?? true;
    for (const chunk of this.#chunks?.splice(0) ?? []) user.onData?.(chunk);
    const ended = this.#ended;
    if (ended && 'error' in ended) user.onError?.(ended.error);
    else if (ended) user.onComplete?.(ended.trailers);
    else if (more !== false) s.resume();
  }

  #discard(): void {
    this.#discarded = true;
    this.#abort?.(new DiscardedForRetry());
  }
}

const noop = (): void => {};
const MAX_CACHED_ORIGINS = 256;
