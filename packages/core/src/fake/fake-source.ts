import { createEndpoint, type Endpoint, type EndpointInput } from '../endpoint.js';
import { ResourceExpiredError, SourceError, type WayfinderError } from '../errors.js';
import type { ListResult, Source, SourceContext, WatchEvent } from '../source.js';

/**
 * A source driven by hand, after client-go's `watch.NewFake()`: `push()` a snapshot or changes,
 * `fail()` the stream or the next lists, `expire()` the watch position. Counts lists and watches
 * so tests can assert that one watch serves many subscribers.
 *
 * @example
 * const source = createFakeSource({ endpoints: [{ address: '10.0.0.1', port: 80 }] });
 * const resolver = createResolver({ target: 'fake://x', source });
 * source.push({ upsert: [{ address: '10.0.0.2', port: 80 }] });
 */
export interface FakeSource extends Source {
  /** Replace the set (array) or apply changes, delivered to the open watch (and future lists). */
  push(update: readonly EndpointInput[] | { upsert?: readonly EndpointInput[]; remove?: readonly string[] }): void;
  /** Make the open watch fail with `error`, and the next `failLists` lists too (default 0). */
  fail(error?: WayfinderError, options?: { failLists?: number }): void;
  /** Make every list fail with `error` until `recover()`. */
  breakLists(error?: WayfinderError): void;
  recover(): void;
  /** End the open watch with "resource expired": the resolver must relist. */
  expire(): void;
  /** End the open watch normally (a server-side watch timeout). */
  end(): void;
  /** Send a heartbeat on the open watch. */
  heartbeat(): void;
  readonly listCount: number;
  readonly watchCount: number;
  /** Watches currently open. */
  readonly openWatches: number;
  readonly endpoints: readonly Endpoint[];
}

export interface FakeSourceOptions {
  name?: string;
  endpoints?: readonly EndpointInput[];
  /** Omit `watch` and ask to be listed again after this many ms (a polling source). */
  pollMs?: number;
  idleTimeoutMs?: number;
}

export function createFakeSource(options: FakeSourceOptions = {}): FakeSource {
  const name = options.name ?? 'fake://service';
  let current: Endpoint[] = (options.endpoints ?? []).map((e) => createEndpoint(e));
  let revision = 1;
  let listCount = 0;
  let watchCount = 0;
  let open = 0;
  let failLists = 0;
  let broken: WayfinderError | undefined;
  const queues = new Set<{ push: (item: WatchEvent | Error | 'end') => void }>();

  const broadcast = (item: WatchEvent | Error | 'end') => {
    for (const q of queues) q.push(item);
  };

  const source: FakeSource = {
    describe: () => name,
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    async list(context: SourceContext): Promise<ListResult> {
      context.signal.throwIfAborted();
      listCount++;
      if (broken) throw broken;
      if (failLists > 0) {
        failLists--;
        throw new SourceError(name, 'list failed (fake)');
      }
      return {
        endpoints: current,
        revision: String(revision),
        cursor: String(revision),
        ...(options.pollMs !== undefined ? { refreshAfterMs: options.pollMs } : {}),
      };
    },
    push(update) {
      revision++;
      if (Array.isArray(update)) {
        current = (update as readonly EndpointInput[]).map((e) => createEndpoint(e));
        broadcast({ type: 'snapshot', endpoints: current, revision: String(revision), cursor: String(revision) });
      } else {
        const u = update as { upsert?: readonly EndpointInput[]; remove?: readonly string[] };
        const upsert = (u.upsert ?? []).map((e) => createEndpoint(e));
        const remove = new Set(u.remove ?? []);
        const ids = new Set(upsert.map((e) => e.id));
        current = [...current.filter((e) => !remove.has(e.id) && !ids.has(e.id)), ...upsert];
        broadcast({ type: 'changes', upsert, remove: [...remove], revision: String(revision), cursor: String(revision) });
      }
    },
    fail(error = new SourceError(name, 'watch failed (fake)'), opts = {}) {
      failLists = opts.failLists ?? 0;
      broadcast(error);
    },
    breakLists(error = new SourceError(name, 'registry down (fake)')) {
      broken = error;
      broadcast(error);
    },
    recover() {
      broken = undefined;
      failLists = 0;
    },
    expire() {
      broadcast(new ResourceExpiredError(name));
    },
    end() {
      broadcast('end');
    },
    heartbeat() {
      broadcast({ type: 'heartbeat' });
    },
    get listCount() {
      return listCount;
    },
    get watchCount() {
      return watchCount;
    },
    get openWatches() {
      return open;
    },
    get endpoints() {
      return current;
    },
  };

  if (options.pollMs === undefined) {
    source.watch = (_cursor, context) => ({
      [Symbol.asyncIterator]: async function* () {
        watchCount++;
        open++;
        const items: (WatchEvent | Error | 'end')[] = [];
        let wake: (() => void) | undefined;
        const queue = { push: (item: WatchEvent | Error | 'end') => (items.push(item), wake?.()) };
        const onAbort = () => wake?.();
        queues.add(queue);
        context.signal.addEventListener('abort', onAbort);
        try {
          for (;;) {
            while (items.length === 0 && !context.signal.aborted) await new Promise<void>((r) => (wake = r));
            if (context.signal.aborted) return;
            const item = items.shift()!;
            if (item === 'end') return;
            if (item instanceof Error) throw item;
            yield item;
          }
        } finally {
          open--;
          queues.delete(queue);
          context.signal.removeEventListener('abort', onAbort);
        }
      },
    });
  }
  return source;
}
