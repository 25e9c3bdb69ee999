import { Dispatcher, errors as undiciErrors } from 'undici';
import { ClosedError } from '../errors.js';
import { IDEMPOTENT_METHODS } from './classify.js';
import { attemptTarget, callSignal, type ClientCore } from './client-core.js';
import { dispatchHeader, type LegacyHandler, rawHeader, toLegacyHandler } from './handlers.js';
import { dispatchAttemptBody } from './request-body.js';
import { type AttemptResult, runCall } from './run-call.js';
import type { ServiceRoute } from './service-route.js';
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

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = opts.origin === undefined ? undefined : new URL(String(opts.origin));
    const route = origin ? this.#core.routes.get(origin.hostname.toLowerCase()) : undefined;
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
  const method = String(opts.method).toUpperCase();
  const idempotent = IDEMPOTENT_METHODS.has(method) || dispatchHeader(opts.headers, 'idempotency-key') !== undefined;
  const body = dispatchAttemptBody(opts.body);
  const caller = new AbortController();
  user.onConnect?.((err?: Error) => caller.abort(err ?? new undiciErrors.RequestAbortedError()));
  const { signal, deadlineAt, cleanup } = callSignal(core.clock, caller.signal, core.timeoutMs);
  const retry = core.retryFor(undefined);

  const attempt = (pick: Parameters<Parameters<typeof runCall>[1]>[0], attemptNumber: number) =>
    new Promise<AttemptResult<() => void>>((resolve, reject) => {
      let abortAttempt: ((err?: Error) => void) | undefined;
      let settled = false;
      let committed = false;
      let discarded = false;
      let stashed: { status: number; raw: Buffer[] | string[]; resume: () => void; text: string } | undefined;
      const chunks: Buffer[] = [];
      let ended: { trailers: Buffer[] | string[] | null } | { error: Error } | undefined;
      const onAbort = () => abortAttempt?.(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const detach = () => signal?.removeEventListener('abort', onAbort);

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
          if (signal?.aborted) abort(signal.reason);
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
          if (retry.statuses.has(status) && attemptNumber < retry.maxAttempts) {
            stashed = { status, raw, resume, text };
            resolve({
              status,
              retryAfter: rawHeader(raw, 'retry-after'),
              value: commit,
              discard: () => {
                discarded = true;
                abortAttempt?.(new DiscardedForRetry());
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
          detach();
          if (committed) user.onComplete?.(trailers);
          else if (!discarded) ended = { trailers };
        },
        onError(err) {
          detach();
          if (committed) user.onError?.(err);
          else if (!settled) {
            settled = true;
            reject(err);
          } else if (!discarded) ended = { error: err };
        },
      };
      core.transport.dispatch(attemptTarget(core, route, pick, origin, attemptNumber, signal), { ...opts, body: body.next() as never }, handler);
    });

  void runCall<() => void>(
    {
      route,
      idempotent,
      canResend: body.canResend,
      affinityKey: undefined,
      signal,
      deadlineAt,
      resolveTimeoutMs: core.resolveTimeoutMs,
      retry,
      budget: core.budgets.get(route),
      clock: core.clock,
    },
    attempt,
  )
    .then(
      (commit) => commit(),
      (error: unknown) => user.onError?.(error instanceof Error ? error : new Error(String(error))),
    )
    .finally(cleanup);
}

const noop = (): void => {};
