import { ClosedError } from './errors.js';
import { createResolver, type ReadyOptions, type Resolver, type ResolverOptions, type ResolverState } from './resolver.js';

/**
 * Shares one resolver per target among every caller (reference-counted): many subscribers of a
 * target cost one watch on the registry.
 */
export interface ResolverPool {
  /**
   * A handle on the shared resolver of `target`, created on first use. Closing the handle
   * releases it (and drops its subscriptions); the resolver closes with its last handle.
   */
  acquire(target: string): Resolver;
  /** Targets with a live resolver. */
  readonly size: number;
  /** Closes every resolver. Idempotent. */
  close(): Promise<void>;
}

export type ResolverPoolOptions = Omit<ResolverOptions, 'target' | 'source'>;

export function createResolverPool(options: ResolverPoolOptions = {}): ResolverPool {
  const entries = new Map<string, { resolver: Resolver; refs: number }>();
  let closed = false;
  return {
    acquire(target) {
      if (closed) throw new ClosedError('resolver pool');
      let entry = entries.get(target);
      if (!entry) {
        entry = { resolver: createResolver({ ...options, target }), refs: 0 };
        entries.set(target, entry);
      }
      entry.refs++;
      const shared = entry;
      return createHandle(shared.resolver, async () => {
        if (--shared.refs === 0 && entries.get(target) === shared) {
          entries.delete(target);
          await shared.resolver.close();
        }
      });
    },
    get size() {
      return entries.size;
    },
    async close() {
      closed = true;
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map((e) => e.resolver.close()));
    },
  };
}

function createHandle(resolver: Resolver, release: () => Promise<void>): Resolver {
  const unsubscribes = new Set<() => void>();
  let closing: Promise<void> | undefined;
  return {
    target: resolver.target,
    get current() {
      return resolver.current;
    },
    ready(options?: ReadyOptions): Promise<ResolverState> {
      if (closing) return Promise.reject(new ClosedError(`resolver for ${resolver.target}`));
      return resolver.ready(options);
    },
    subscribe(listener) {
      if (closing) throw new ClosedError(`resolver for ${resolver.target}`);
      const off = resolver.subscribe(listener);
      unsubscribes.add(off);
      return () => {
        unsubscribes.delete(off);
        off();
      };
    },
    [Symbol.asyncIterator]() {
      return resolver[Symbol.asyncIterator]();
    },
    close() {
      closing ??= (async () => {
        for (const off of unsubscribes) off();
        unsubscribes.clear();
        await release();
      })();
      return closing;
    },
  };
}
