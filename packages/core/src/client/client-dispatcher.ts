import { Dispatcher, errors as undiciErrors } from 'undici';
import { ClosedError } from '../errors.js';
import { IDEMPOTENT_METHODS } from './classify.js';
import { callSignal, type ClientCore } from './client-core.js';
import { dispatchHeader, type LegacyHandler, rawHeader, toLegacyHandler } from './handlers.js';
import { dispatchAttemptBody } from './request-body.js';
import {
  type AttemptResult,
  attemptError,
  type CallPlan,
  type CallState,
  continueCall,
  failOver,
  pickAttempt,
  type ResolvedRetry,
  statusFailure,
  waitReady,
} from './run-call.js';
import type { AttemptBody } from './request-body.js';
import type { RetryBudget } from './retry-budget.js';
import type { Clock } from '../clock.js';
import type { ServiceRoute } from './service-route.js';
import type { PickedEndpoint } from '../balancer.js';
import { attemptOutcome, DiscardedForRetry } from './transport.js';

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
  readonly #origins = new Map<string, { origin: OriginParts; route: ServiceRoute | undefined }>();

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const key = opts.origin === undefined ? undefined : String(opts.origin);
    let entry = key === undefined ? undefined : this.#origins.get(key);
    if (key !== undefined && !entry) {
      const url = new URL(key);
      entry = { origin: { protocol: url.protocol, host: url.host, port: url.port }, route: this.#core.routes.get(url.hostname.toLowerCase()) };
      if (this.#origins.size >= MAX_CACHED_ORIGINS) this.#origins.clear();
      this.#origins.set(key, entry);
    }
    const route = entry?.route;
    const origin = entry?.origin;
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

/** The parts of a request origin an attempt needs, read once per origin (URL getters allocate). */
interface OriginParts {
  readonly protocol: string;
  readonly host: string;
  readonly port: string;
}

function dispatchMapped(core: ClientCore, route: ServiceRoute, origin: OriginParts, opts: Dispatcher.DispatchOptions, user: LegacyHandler): void {
  const call = new MappedCall(core, route, origin, opts, user);
  if (route.synced) call.first();
  else
    waitReady(call).then(
      () => call.first(),
      (error: unknown) => call.fail(error),
    );
}

/**
 * One call through the dispatcher: the plan the retry engine reads, and the caller's handler.
 * The first attempt runs on callbacks alone (no promise, no retry engine, no Set of tried
 * endpoints): most calls end there. Only when it fails or answers with a retryable status does
 * the call move to the engine (`continueCall`), whose attempts are promises. The abort machinery
 * is created only when needed (a deadline, a retry, or a caller abort).
 */
class MappedCall implements CallPlan, CallState {
  readonly route: ServiceRoute;
  readonly idempotent: boolean;
  readonly deadlineAt: number;
  readonly core: ClientCore;
  readonly origin: OriginParts;
  readonly opts: Dispatcher.DispatchOptions;
  readonly user: LegacyHandler;
  readonly body: AttemptBody<unknown>;
  // CallState, inline (one object less per call).
  firstId: string | undefined = undefined;
  tried: Set<string> | undefined = undefined;
  attempts = 0;
  stop: 'budget' | undefined = undefined;
  failedOver = false;
  reason: unknown = undefined;
  controller: AbortController | undefined = undefined;
  abortAttempt: ((err?: Error) => void) | undefined = undefined;
  cleanup: () => void = noop;
  /** The promise callbacks of an attempt run by the engine (second attempt on). */
  pending: { resolve: (result: AttemptResult<() => void>) => void; reject: (error: unknown) => void } | undefined = undefined;

  constructor(core: ClientCore, route: ServiceRoute, origin: OriginParts, opts: Dispatcher.DispatchOptions, user: LegacyHandler) {
    this.core = core;
    this.route = route;
    this.origin = origin;
    this.opts = opts;
    this.user = user;
    const method = opts.method;
    this.idempotent = (method === 'GET' || IDEMPOTENT_METHODS.has(method.toUpperCase())) || dispatchHeader(opts.headers, 'idempotency-key') !== undefined;
    this.body = dispatchAttemptBody(opts.body);
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

  // The plan's settings that come from the client: read through (fewer fields per call).
  get affinityKey(): undefined {
    return undefined;
  }
  get resolveTimeoutMs(): number {
    return this.core.resolveTimeoutMs;
  }
  get retry(): ResolvedRetry {
    return this.core.retryFor(undefined);
  }
  get budget(): RetryBudget | undefined {
    return this.core.budgets.get(this.route);
  }
  get clock(): Clock {
    return this.core.clock;
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

  /** The first attempt, on callbacks. */
  first(): void {
    this.budget?.deposit();
    let pick: PickedEndpoint;
    try {
      pick = pickAttempt(this, this, 1);
    } catch (error) {
      this.continue(error);
      return;
    }
    this.send(pick, 1);
  }

  send(pick: PickedEndpoint, attemptNumber: number): void {
    const handler = new DispatchAttempt(this, pick, attemptNumber);
    const endpoint = pick.endpoint;
    const url = this.origin;
    const host = endpoint.hostname ? (url.port ? `${endpoint.hostname}:${url.port}` : endpoint.hostname) : url.host;
    pick.onStart();
    this.core.transport.send(url.protocol, endpoint, host, this.opts, handler, this.body.next() ?? null);
  }

  /** An attempt got its final response headers (or an upgrade), passed on to the caller. */
  answered(attempt: DispatchAttempt, status: number): void {
    if (attempt.attemptNumber > 1) {
      this.pending!.resolve({ status, retryAfter: null, value: noop, discard: noop });
      return;
    }
    this.route.release(attempt.pick.endpoint.id);
    this.cleanup();
  }

  /** An attempt got a response it holds back (paused) until the engine decides. */
  heldBack(attempt: DispatchAttempt, result: AttemptResult<() => void>): void {
    if (attempt.attemptNumber > 1) {
      this.pending!.resolve(result);
      return;
    }
    this.route.release(attempt.pick.endpoint.id);
    this.continue(statusFailure(result));
  }

  /** An attempt failed before its response headers. */
  failed(attempt: DispatchAttempt, error: Error): void {
    if (attempt.attemptNumber > 1) this.pending!.reject(error);
    else {
      const other = failOver(this, this, attempt.pick, error);
      if (other) this.send(other, 1);
      else this.continue(attemptError(this, attempt.pick, error));
    }
  }

  /** Hands the call to the retry engine after the first attempt. */
  continue(first: unknown): void {
    continueCall<() => void>(this, this, first, (pick, n) => this.attempt(pick, n)).then(
      (commit) => this.succeed(commit),
      (error: unknown) => this.fail(error),
    );
  }

  attempt(pick: PickedEndpoint, attemptNumber: number): Promise<AttemptResult<() => void>> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.send(pick, attemptNumber);
    });
  }

  succeed(commit: () => void): void {
    this.cleanup();
    commit();
  }

  fail(error: unknown): void {
    this.cleanup();
    this.user.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * One attempt's handler, the only one undici sees (it speaks the handler protocol undici's
 * client calls directly, so nothing wraps it): reports the outcome to the picker, passes the
 * response to the caller's handler at once, or holds back a retryable one (paused) until the
 * engine decides to return it or to retry.
 */
class DispatchAttempt implements LegacyHandler {
  readonly call: MappedCall;
  readonly pick: PickedEndpoint;
  readonly attemptNumber: number;
  readonly started: number;
  status: number | undefined = undefined;
  latencyMs: number | undefined = undefined;
  reported = false;
  settled = false;
  committed = false;
  discarded = false;
  stashed: { status: number; raw: Buffer[] | string[]; resume: () => void; text: string } | undefined = undefined;
  chunks: Buffer[] | undefined = undefined;
  ended: { trailers: Buffer[] | string[] | null } | { error: Error } | undefined = undefined;
  abort: ((err?: Error) => void) | undefined = undefined;

  constructor(call: MappedCall, pick: PickedEndpoint, attemptNumber: number) {
    this.call = call;
    this.pick = pick;
    this.attemptNumber = attemptNumber;
    this.started = call.clock.now();
  }

  report(error?: Error): void {
    if (this.reported) return;
    this.reported = true;
    const call = this.call;
    const outcome = attemptOutcome(this.status, error, this.latencyMs ?? call.clock.now() - this.started, error !== undefined && call.reason !== undefined);
    this.pick.onEnd(outcome);
    const onAttempt = call.core.onAttempt;
    if (onAttempt) onAttempt({ service: call.route.name, endpoint: this.pick.endpoint, attempt: this.attemptNumber, outcome });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    const call = this.call;
    call.abortAttempt = abort;
    if (call.reason !== undefined) abort(call.reason as Error);
  }
  onResponseStarted(): void {
    this.call.user.onResponseStarted?.();
  }
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.status = statusCode;
    this.report();
    this.committed = this.settled = true;
    this.call.answered(this, statusCode);
    this.call.user.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  onHeaders(status: number, raw: Buffer[] | string[], resume: () => void, text: string): boolean {
    const call = this.call;
    const user = call.user;
    if (status < 200) return user.onHeaders?.(status, raw, resume, text) ?? true;
    this.status = status;
    this.latencyMs = call.clock.now() - this.started;
    this.settled = true;
    const retry = call.retry;
    if (this.attemptNumber < retry.maxAttempts && retry.statuses.has(status)) {
      this.stashed = { status, raw, resume, text };
      call.heldBack(this, { status, retryAfter: rawHeader(raw, 'retry-after'), value: () => this.commit(), discard: () => this.discard() });
      return false;
    }
    this.committed = true;
    call.answered(this, status);
    return user.onHeaders?.(status, raw, resume, text) ?? true;
  }
  onData(chunk: Buffer): boolean {
    if (this.committed) return this.call.user.onData?.(chunk) ?? true;
    (this.chunks ??= []).push(chunk);
    return false;
  }
  onComplete(trailers: Buffer[] | string[] | null): void {
    this.report();
    if (this.committed) this.call.user.onComplete?.(trailers);
    else if (!this.discarded) this.ended = { trailers };
  }
  onError(err: Error): void {
    this.report(err);
    if (this.committed) this.call.user.onError?.(err);
    else if (!this.settled) {
      this.settled = true;
      this.call.failed(this, err);
    } else if (!this.discarded) this.ended = { error: err };
  }

  commit(): void {
    this.committed = true;
    const user = this.call.user;
    const s = this.stashed!;
    const more = user.onHeaders?.(s.status, s.raw, s.resume, s.text) ?? true;
    for (const chunk of this.chunks?.splice(0) ?? []) user.onData?.(chunk);
    const ended = this.ended;
    if (ended && 'error' in ended) user.onError?.(ended.error);
    else if (ended) user.onComplete?.(ended.trailers);
    else if (more !== false) s.resume();
  }

  discard(): void {
    this.discarded = true;
    this.abort?.(new DiscardedForRetry());
  }
}

const noop = (): void => {};
const MAX_CACHED_ORIGINS = 256;
