import { Dispatcher, errors as undiciErrors } from 'undici';
import { ClosedError } from '../errors.js';
import { IDEMPOTENT_METHODS } from './classify.js';
import { attemptTarget, callSignal, type ClientCore } from './client-core.js';
import { dispatchHeader, type LegacyHandler, rawHeader, toLegacyHandler } from './handlers.js';
import { dispatchAttemptBody } from './request-body.js';
import { type AttemptResult, runCall } from './run-call.js';
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
  const method = opts.method.toUpperCase();
  const idempotent = IDEMPOTENT_METHODS.has(method) || dispatchHeader(opts.headers, 'idempotency-key') !== undefined;
  const body = dispatchAttemptBody(opts.body);
  const retry = core.retryFor(undefined);
  // The abort machinery is created only when needed (a deadline, a retry, or a caller abort):
  // most calls end after one attempt and never need it.
  let reason: unknown;
  let controller: AbortController | undefined;
  let abortAttempt: ((err?: Error) => void) | undefined;
  let cleanup = noop;
  let deadlineAt = Number.POSITIVE_INFINITY;
  const abortAll = (err: unknown) => {
    if (reason !== undefined) return;
    reason = err;
    controller?.abort(err);
    abortAttempt?.(err as Error);
  };
  const signal = (): AbortSignal => {
    if (!controller) {
      controller = new AbortController();
      if (reason !== undefined) controller.abort(reason);
    }
    return controller.signal;
  };
  if (core.timeoutMs !== undefined) {
    const timed = callSignal(core.clock, signal(), core.timeoutMs);
    deadlineAt = timed.deadlineAt;
    cleanup = timed.cleanup;
    timed.signal!.addEventListener('abort', () => abortAll(timed.signal!.reason), { once: true });
  }
  user.onConnect?.((err?: Error) => abortAll(err ?? new undiciErrors.RequestAbortedError()));

  const attempt = (pick: PickedEndpoint, attemptNumber: number) =>
    new Promise<AttemptResult<() => void>>((resolve, reject) => {
      let settled = false;
      let committed = false;
      let discarded = false;
      let stashed: { status: number; raw: Buffer[] | string[]; resume: () => void; text: string } | undefined;
      const chunks: Buffer[] = [];
      let ended: { trailers: Buffer[] | string[] | null } | { error: Error } | undefined;

      const commit = () => {
        committed = true;
        const s = stashed!;
        const more = user.onHeaders?.(s.status, s.raw, s.resume, s.text) ?? true;
        for (const chunk of chunks.splice(0)) user.onData?.(chunk);
        if (ended && 'error' in ended) user.onError?.(ended.error);
        else if (ended) user.onComplete?.(ended.trailers);
        else if (more !== false) s.resume();
      };
      const handler: LegacyHandler = {
        onConnect(abort) {
          abortAttempt = abort;
          if (reason !== undefined) abort(reason as Error);
        },
        onResponseStarted: () => user.onResponseStarted?.(),
        onUpgrade(statusCode, rawHeaders, socket) {
          committed = settled = true;
          resolve({ status: statusCode, retryAfter: null, value: noop, discard: noop });
          user.onUpgrade?.(statusCode, rawHeaders, socket);
        },
        onHeaders(status, raw, resume, text) {
          if (status < 200) return user.onHeaders?.(status, raw, resume, text) ?? true;
          settled = true;
          if (attemptNumber < retry.maxAttempts && retry.statuses.has(status)) {
            stashed = { status, raw, resume, text };
            const own = abortAttempt;
            resolve({
              status,
              retryAfter: rawHeader(raw, 'retry-after'),
              value: commit,
              discard: () => {
                discarded = true;
                own?.(new DiscardedForRetry());
              },
            });
            return false;
          }
          committed = true;
          resolve({ status, retryAfter: null, value: noop, discard: noop });
          return user.onHeaders?.(status, raw, resume, text) ?? true;
        },
        onData(chunk) {
          if (committed) return user.onData?.(chunk) ?? true;
          chunks.push(chunk);
          return false;
        },
        onComplete(trailers) {
          if (committed) user.onComplete?.(trailers);
          else if (!discarded) ended = { trailers };
        },
        onError(err) {
          if (committed) user.onError?.(err);
          else if (!settled) {
            settled = true;
            reject(err);
          } else if (!discarded) ended = { error: err };
        },
      };
      core.transport.dispatch(attemptTarget(core, route, pick, origin, attemptNumber, () => reason !== undefined), { ...opts, body: body.next() as never }, handler);
    });

  runCall<() => void>(
    {
      route,
      idempotent,
      canResend: body.canResend,
      affinityKey: undefined,
      signal,
      abortReason: () => reason,
      deadlineAt,
      resolveTimeoutMs: core.resolveTimeoutMs,
      retry,
      budget: core.budgets.get(route),
      clock: core.clock,
    },
    attempt,
  ).then(
    (commit) => {
      cleanup();
      commit();
    },
    (error: unknown) => {
      cleanup();
      user.onError?.(error instanceof Error ? error : new Error(String(error)));
    },
  );
}

const noop = (): void => {};
const MAX_CACHED_ORIGINS = 256;
