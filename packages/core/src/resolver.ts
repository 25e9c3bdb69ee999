import pRetry from 'p-retry';
import { type Clock, sleep, systemClock } from './clock.js';
import type { Endpoint } from './endpoint.js';
import { applyEndpointChanges, createEndpointSet, EMPTY_ENDPOINT_SET, type EndpointSet, sameEndpoints, shareMembers, withRevision } from './endpoint-set.js';
import {
  ClosedError,
  InvalidOptionError,
  isWayfinderError,
  ResolveTimeoutError,
  ResourceExpiredError,
  SourceError,
  WayfinderError,
} from './errors.js';
import type { Random } from './random.js';
import { type BackoffOptions, createBackoff } from './backoff.js';
import type { Source, SourceContext, WatchEvent } from './source.js';
import { createSource } from './create-source.js';
import type { SchemeMap } from './target.js';

/**
 * What a resolver publishes: a whole, frozen snapshot of a target's endpoints and the health of
 * the registry behind it. Consumers never see a half-applied relist or an intermediate state:
 * changes arriving together are coalesced and published once.
 */
export interface ResolverState {
  readonly target: string;
  readonly endpoints: EndpointSet;
  /** True while the registry is failing and `endpoints` is the last good set. */
  readonly stale: boolean;
  /** Wall-clock ms of the last successful read of the registry. */
  readonly lastSyncAt: number | null;
  /** The last registry error since the last good read, or null. */
  readonly error: WayfinderError | null;
}

export interface ReadyOptions {
  signal?: AbortSignal;
  /** Rejects with {@link ResolveTimeoutError} (cause: the last source error) after this long. */
  timeoutMs?: number;
}

/**
 * The watch engine for one target: list then watch, reconnect with jittered exponential backoff
 * (reset after a healthy period), relist on expiry, coalesce, keep the last good set.
 */
export interface Resolver extends AsyncIterable<ResolverState> {
  readonly target: string;
  /** The latest published state, or undefined before the first successful list. */
  readonly current: ResolverState | undefined;
  /**
   * Resolves with the first synced state (at once if there is one). Rejects with
   * {@link ResolveTimeoutError} after `timeoutMs`, with the signal's reason on abort, with
   * {@link ClosedError} on close, and at once with a `SourceError` marked `permanent` that
   * arrives before the first sync (retrying cannot fix it; the resolver keeps trying anyway).
   * While it is pending it keeps the process alive (as an awaited timer does); the resolver's
   * background work never does.
   */
  ready(options?: ReadyOptions): Promise<ResolverState>;
  /**
   * Calls `listener` with the current state (if any) and then with each new one. Returns the
   * unsubscribe function. A listener that throws is reported as a process warning.
   */
  subscribe(listener: (state: ResolverState) => void): () => void;
  /** Stops watching and every timer. Idempotent. Pending `ready()` calls reject with ClosedError. */
  close(): Promise<void>;
}

export const DEFAULT_POLL_INTERVAL_MS = 30_000;
export const DEFAULT_MIN_REFRESH_MS = 100;

export interface ResolverOptions {
  /** The target URI; also the label of an explicit `source`. */
  target: string;
  /** Use this source instead of creating one from the target's scheme. */
  source?: Source;
  /** Scheme → source factory. Defaults to the core schemes (`static`, `file`). */
  schemes?: SchemeMap;
  clock?: Clock;
  random?: Random;
  env?: Readonly<Record<string, string | undefined>>;
  backoff?: BackoffOptions;
  /** Re-list interval for sources without `watch` that give no `refreshAfterMs`. Default 30 s. */
  pollIntervalMs?: number;
  /** Lower bound for any re-list delay (guards against TTL 0). Default 100 ms. */
  minRefreshMs?: number;
}

/**
 * Creates and starts a resolver.
 *
 * @example
 * const resolver = createResolver({ target: 'static://127.0.0.1:8080,127.0.0.1:8081' });
 * const { endpoints } = await resolver.ready({ timeoutMs: 5000 });
 * resolver.subscribe((state) => console.log(state.endpoints.size, state.stale));
 * await resolver.close();
 */
export function createResolver(options: ResolverOptions): Resolver {
  return new WatchingResolver(options);
}

class WatchingResolver implements Resolver {
  readonly target: string;
  #source: Source;
  #clock: Clock;
  #random: Random;
  #pollIntervalMs: number;
  #minRefreshMs: number;
  #backoff: ReturnType<typeof createBackoff>;
  #abort = new AbortController();
  #closed = false;
  #loop: Promise<void>;

  // Working state (applied immediately) and published state (after coalescing).
  #working: EndpointSet = EMPTY_ENDPOINT_SET;
  #workingRevision: string | undefined;
  #synced = false;
  #stale = false;
  #error: WayfinderError | null = null;
  #lastSyncAt: number | null = null;
  #published: ResolverState | undefined;
  #publishScheduled = false;
  #counter = 0;

  #listeners = new Set<(state: ResolverState) => void>();
  #readyWaiters = new Set<{ resolve: (s: ResolverState) => void; reject: (e: unknown) => void }>();

  constructor(options: ResolverOptions) {
    this.target = options.target;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.#minRefreshMs = positive('minRefreshMs', options.minRefreshMs ?? DEFAULT_MIN_REFRESH_MS);
    this.#backoff = createBackoff(options.backoff, this.#random);
    this.#source =
      options.source ??
      createSource(options.target, {
        ...(options.schemes ? { schemes: options.schemes } : {}),
        clock: this.#clock,
        random: this.#random,
        env: options.env ?? process.env,
      });
    this.#loop = this.#run();
  }

  get current(): ResolverState | undefined {
    return this.#published;
  }

  ready(options: ReadyOptions = {}): Promise<ResolverState> {
    if (this.#closed) return Promise.reject(new ClosedError(`resolver for ${this.target}`));
    if (this.#published) return Promise.resolve(this.#published);
    if (this.#error instanceof SourceError && this.#error.permanent) return Promise.reject(this.#error);
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<ResolverState>((resolve, reject) => {
      let timer: unknown;
      const cleanup = () => {
        if (this.#readyWaiters.delete(waiter)) this.#release();
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter = {
        resolve: (s: ResolverState) => {
          cleanup();
          resolve(s);
        },
        reject: (e: unknown) => {
          cleanup();
          reject(e);
        },
      };
      const onAbort = () => waiter.reject(signal!.reason);
      this.#readyWaiters.add(waiter);
      this.#hold();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = this.#clock.setTimeout(
          () => waiter.reject(new ResolveTimeoutError(this.target, timeoutMs, { cause: this.#error ?? undefined })),
          timeoutMs,
        );
      }
    });
  }

  // Background work never keeps the process alive, but a caller awaiting ready() waits on
  // purpose: like an awaited timer, a pending ready() holds the process open until it settles.
  #holder: ReturnType<typeof setInterval> | undefined;
  #hold(): void {
    this.#holder ??= setInterval(() => {}, 2 ** 30);
  }
  #release(): void {
    if (this.#readyWaiters.size === 0 && this.#holder !== undefined) {
      clearInterval(this.#holder);
      this.#holder = undefined;
    }
  }

  subscribe(listener: (state: ResolverState) => void): () => void {
    this.#listeners.add(listener);
    if (this.#published) this.#notify(listener, this.#published);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<ResolverState> {
    // Yields the latest state; a slow consumer skips intermediate ones (it always sees the newest).
    let pending: ResolverState | undefined = this.#published;
    let wake: (() => void) | undefined;
    let done = this.#closed;
    const unsubscribe = this.subscribe((s) => {
      pending = s;
      wake?.();
    });
    const onClose = () => {
      done = true;
      wake?.();
    };
    this.#abort.signal.addEventListener('abort', onClose, { once: true });
    const finish = (): IteratorResult<ResolverState> => {
      unsubscribe();
      this.#abort.signal.removeEventListener('abort', onClose);
      done = true;
      return { done: true, value: undefined };
    };
    return {
      next: async () => {
        while (!pending && !done) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (pending) {
          const value = pending;
          pending = undefined;
          return { done: false, value };
        }
        return finish();
      },
      return: async () => finish(),
    };
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#abort.abort(new ClosedError(`resolver for ${this.target}`));
      for (const w of [...this.#readyWaiters]) w.reject(new ClosedError(`resolver for ${this.target}`));
      this.#listeners.clear();
    }
    await this.#loop;
  }

  // ---- the loop ----

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let healthySince: number | undefined;
    try {
      await pRetry(
        async () => {
          healthySince = undefined;
          await this.#session(signal, () => {
            healthySince ??= this.#clock.now();
          });
        },
        {
          retries: Number.POSITIVE_INFINITY,
          // p-retry runs the attempts; the wait between them happens in onFailedAttempt on the
          // injected clock with injected randomness, so tests drive it and timers are unref'ed.
          minTimeout: 0,
          maxTimeout: 0,
          signal,
          shouldRetry: () => !this.#closed,
          onFailedAttempt: async ({ error }) => {
            if (this.#closed) return;
            if (healthySince !== undefined && this.#clock.now() - healthySince >= this.#backoff.resetAfterMs) this.#backoff.reset();
            this.#fail(asSourceError(this.target, error));
            await sleep(this.#clock, this.#backoff.next(), signal);
          },
        },
      );
    } catch {
      // Only reached when closed: every other failure is retried.
    } finally {
      await this.#source.close?.();
    }
  }

  /** One list-then-watch session. Throws on any registry failure; never returns unless closed. */
  async #session(signal: AbortSignal, markHealthy: () => void): Promise<void> {
    const context: SourceContext = { signal, clock: this.#clock, random: this.#random };
    let expiredInARow = 0;
    for (;;) {
      const listed = await this.#source.list(context);
      signal.throwIfAborted();
      this.#replace(listed.endpoints, listed.revision);
      markHealthy();
      if (!this.#source.watch) {
        const after = listed.refreshAfterMs ?? this.#pollIntervalMs;
        if (after === Number.POSITIVE_INFINITY) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        await sleep(this.#clock, Math.max(this.#minRefreshMs, after), signal);
        continue;
      }
      let cursor = listed.cursor;
      for (;;) {
        let sawEvent = false;
        try {
          const outcome = await this.#watchOnce(cursor, context, (event) => {
            sawEvent = true;
            if ('cursor' in event && event.cursor !== undefined) cursor = event.cursor;
          });
          if (outcome === 'ended' && !sawEvent) {
            // A registry that closes every watch at once would otherwise spin.
            throw new SourceError(this.target, 'the watch ended without any event');
          }
          expiredInARow = 0;
        } catch (error) {
          if (!(error instanceof ResourceExpiredError) || signal.aborted) throw error;
          if (++expiredInARow > 2) throw error;
          break; // relist at once
        }
      }
    }
  }

  /** Runs one watch stream; resolves 'ended' on a normal end, 'idle' when abandoned for silence. */
  async #watchOnce(cursor: string | undefined, parent: SourceContext, seen: (e: WatchEvent) => void): Promise<'ended' | 'idle'> {
    const controller = new AbortController();
    const onParentAbort = () => controller.abort(parent.signal.reason);
    parent.signal.addEventListener('abort', onParentAbort, { once: true });
    const context: SourceContext = { ...parent, signal: controller.signal };
    const iterator = this.#source.watch!(cursor, context)[Symbol.asyncIterator]();
    const idleMs = this.#source.idleTimeoutMs;
    try {
      for (;;) {
        const next = iterator.next();
        let result: IteratorResult<WatchEvent>;
        if (idleMs === undefined) {
          result = await next;
        } else {
          let timer: unknown;
          const idle = new Promise<'idle'>((resolve) => (timer = this.#clock.setTimeout(() => resolve('idle'), idleMs)));
          const raced = await Promise.race([next, idle]).finally(() => this.#clock.clearTimeout(timer));
          if (raced === 'idle') {
            next.catch(() => {});
            controller.abort(new SourceError(this.target, `watch silent for ${idleMs} ms, resuming`));
            return 'idle';
          }
          result = raced;
        }
        parent.signal.throwIfAborted();
        if (result.done) return 'ended';
        seen(result.value);
        this.#apply(result.value);
      }
    } finally {
      parent.signal.removeEventListener('abort', onParentAbort);
      if (!controller.signal.aborted) controller.abort(new ClosedError('watch'));
      void Promise.resolve(iterator.return?.()).catch(() => {});
    }
  }

  // ---- state ----

  #replace(endpoints: readonly Endpoint[], revision: string | undefined): void {
    const next = createEndpointSet(endpoints, { revision: revision ?? this.#working.revision });
    this.#commit(next, revision);
  }

  #apply(event: WatchEvent): void {
    switch (event.type) {
      case 'snapshot':
        this.#replace(event.endpoints, event.revision);
        return;
      case 'changes': {
        let next: EndpointSet;
        try {
          next = applyEndpointChanges(this.#working, event, { revision: event.revision ?? this.#working.revision });
        } catch (error) {
          this.#fail(asSourceError(this.target, error));
          return;
        }
        // applyEndpointChanges shares the members when nothing changed: no O(N) comparison needed.
        this.#commit(next, event.revision, !shareMembers(next, this.#working));
        return;
      }
      case 'error':
        this.#fail(event.error);
        return;
      case 'bookmark':
      case 'heartbeat':
        return;
    }
  }

  #commit(next: EndpointSet, revision: string | undefined, membersChanged?: boolean): void {
    const changed = !this.#synced || (membersChanged ?? !sameEndpoints(this.#working, next));
    if (changed) {
      this.#workingRevision = revision ?? String(++this.#counter);
      this.#working = revision === undefined ? withRevision(next, this.#workingRevision) : next;
    }
    this.#lastSyncAt = this.#clock.wallNow();
    const wasUnhealthy = this.#stale || this.#error !== null;
    this.#stale = false;
    this.#error = null;
    this.#synced = true;
    if (changed || wasUnhealthy) this.#schedulePublish();
    else if (this.#published) this.#published = { ...this.#published, lastSyncAt: this.#lastSyncAt };
  }

  #fail(error: WayfinderError): void {
    this.#error = error;
    // Before the first sync, an error that retrying cannot fix (bad credentials, a port name the
    // service does not have) fails `ready()` at once; the resolver itself keeps trying.
    if (!this.#synced && error instanceof SourceError && error.permanent) {
      for (const w of [...this.#readyWaiters]) w.reject(error);
    }
    if (this.#synced && !this.#stale) {
      this.#stale = true;
      this.#schedulePublish();
    } else if (this.#published) {
      this.#published = { ...this.#published, error };
    }
  }

  #schedulePublish(): void {
    if (this.#publishScheduled) return;
    this.#publishScheduled = true;
    // A macrotask, so every change that arrived in this tick is published as one snapshot.
    setImmediate(() => {
      this.#publishScheduled = false;
      if (this.#closed || !this.#synced) return;
      const state: ResolverState = Object.freeze({
        target: this.target,
        endpoints: this.#working,
        stale: this.#stale,
        lastSyncAt: this.#lastSyncAt,
        error: this.#error,
      });
      this.#published = state;
      for (const w of [...this.#readyWaiters]) w.resolve(state);
      for (const l of [...this.#listeners]) this.#notify(l, state);
    });
  }

  #notify(listener: (state: ResolverState) => void, state: ResolverState): void {
    try {
      listener(state);
    } catch (error) {
      process.emitWarning(`wayfinder: a subscriber of ${this.target} threw: ${String(error)}`, 'WayfinderWarning');
    }
  }
}

function asSourceError(target: string, error: unknown): WayfinderError {
  if (isWayfinderError(error)) return error;
  return new SourceError(target, error instanceof Error ? error.message : String(error), { cause: error });
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) throw new InvalidOptionError(name, value, 'must be a number ≥ 0');
  return value;
}
