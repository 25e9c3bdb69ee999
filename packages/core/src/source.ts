import type { Clock } from './clock.js';
import type { Endpoint } from './endpoint.js';
import type { WayfinderError } from './errors.js';
import type { Random } from './random.js';

/**
 * A `Source` translates one registry into endpoint lists and changes. It is the extension point
 * for adapters (DNS, HTTP registry, Kubernetes, etcd, files).
 *
 * The contract, which keeps adapters small and the failure handling in one place:
 * - A source **never retries, sleeps or keeps timers**. It lists, it watches, and it throws (or
 *   yields as an `error` event) a typed {@link WayfinderError} when the registry fails. The
 *   resolver (`createResolver`) owns backoff, relists, polling intervals, idle detection,
 *   coalescing and last-known-good.
 * - `list()` returns the complete current set (and a `cursor` to watch from, if the registry has
 *   one). Polling registries (DNS) return `refreshAfterMs` (e.g. the record TTL) and have no
 *   `watch`; the resolver lists again after that delay.
 * - `watch(cursor)` streams changes after `cursor`. It ends normally when the registry closes the
 *   stream (a Kubernetes watch timeout); the resolver then resumes it from the last cursor seen.
 *   It throws {@link ResourceExpiredError} when the cursor is too old: the resolver lists again
 *   and replaces the set atomically.
 * - Endpoints handed to the resolver are normalized ({@link parseEndpoint} / `createEndpoint`):
 *   registry data is validated with zod before it becomes an `Endpoint`.
 * - Every call receives an `AbortSignal`; a source stops all I/O when it aborts.
 *
 * @example
 * const source: Source = {
 *   describe: () => 'static://10.0.0.1:80',
 *   async list() { return { endpoints: [createEndpoint({ address: '10.0.0.1', port: 80 })] }; },
 * };
 */
export interface Source {
  /** The target this source reads, for messages (credentials stripped). */
  describe(): string;
  /** Reads the complete current set. */
  list(context: SourceContext): Promise<ListResult>;
  /** Streams changes after `cursor` (from `list()` or a later event). Optional. */
  watch?(cursor: string | undefined, context: SourceContext): AsyncIterable<WatchEvent>;
  /**
   * When set, a watch that yields nothing (not even a `heartbeat`) for this long is abandoned
   * and resumed by the resolver: the registry promised heartbeats or bookmarks and stopped.
   */
  readonly idleTimeoutMs?: number;
  /** Releases pooled connections. Called once when the last resolver using it closes. */
  close?(): void | Promise<void>;
}

export interface SourceContext {
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly random: Random;
}

export interface ListResult {
  /** The complete set. */
  readonly endpoints: readonly Endpoint[];
  /** The registry's revision for this list (becomes the snapshot's revision). */
  readonly revision?: string;
  /** Where `watch` resumes from. */
  readonly cursor?: string;
  /**
   * For sources without `watch`: list again after this many ms (e.g. DNS TTL). `Infinity`
   * means never (a static list). When absent, the resolver's `pollIntervalMs` applies.
   */
  readonly refreshAfterMs?: number;
}

/** One item of a watch stream. */
export type WatchEvent =
  /** Replace the whole set. */
  | { readonly type: 'snapshot'; readonly endpoints: readonly Endpoint[]; readonly revision?: string; readonly cursor?: string }
  /** Apply upserts and removals (by endpoint id) to the current set. */
  | {
      readonly type: 'changes';
      readonly upsert?: readonly Endpoint[];
      readonly remove?: readonly string[];
      readonly revision?: string;
      readonly cursor?: string;
    }
  /** Progress without changes (Kubernetes BOOKMARK, etcd progress notify); also resets idle detection. */
  | { readonly type: 'bookmark'; readonly cursor: string }
  /** The stream is alive (SSE comment, keep-alive); resets idle detection. */
  | { readonly type: 'heartbeat' }
  /**
   * A non-fatal problem (an unreadable file, a malformed event): the set stays as it is, the
   * snapshot is marked stale, and the watch goes on.
   */
  | { readonly type: 'error'; readonly error: WayfinderError };
