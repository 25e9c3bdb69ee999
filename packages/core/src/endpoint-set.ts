import { type Endpoint, endpointsEqual } from './endpoint.js';
import { InvalidEndpointError } from './errors.js';

/**
 * An immutable snapshot of a service's endpoints.
 *
 * - `endpoints` is frozen and in a stable order: by `address` compared as text, then `port`,
 *   then `id`. Two snapshots with the same members list them in the same order.
 * - Ids are unique; a set is never built from a list with duplicate ids (the build throws).
 * - `revision` identifies the snapshot: the registry's own revision when it has one, else a
 *   counter of the resolver. It changes whenever the members change.
 */
export interface EndpointSet extends Iterable<Endpoint> {
  readonly revision: string;
  readonly endpoints: readonly Endpoint[];
  readonly size: number;
  /** The endpoint with this id, if present. O(1). */
  get(id: string): Endpoint | undefined;
  has(id: string): boolean;
}

export interface EndpointSetOptions {
  revision?: string;
}

/** Orders endpoints as snapshots list them. */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  if (a.port !== b.port) return a.port - b.port;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Overlays larger than this are folded into a fresh index (amortised O(1) per change). */
const MAX_OVERLAY = 256;

class FrozenEndpointSet implements EndpointSet {
  readonly revision: string;
  readonly endpoints: readonly Endpoint[];
  // Lookup is a shared base index plus a small overlay of later changes (null = removed), so a
  // set derived by applyEndpointChanges does not copy a 10 000-entry map for one change.
  readonly #base: ReadonlyMap<string, Endpoint>;
  readonly #overlay: ReadonlyMap<string, Endpoint | null> | null;

  constructor(endpoints: readonly Endpoint[], base: ReadonlyMap<string, Endpoint>, overlay: ReadonlyMap<string, Endpoint | null> | null, revision: string) {
    this.revision = revision;
    this.endpoints = endpoints;
    this.#base = base;
    this.#overlay = overlay;
    Object.freeze(this);
  }
  get size(): number {
    return this.endpoints.length;
  }
  get(id: string): Endpoint | undefined {
    if (this.#overlay !== null) {
      const hit = this.#overlay.get(id);
      if (hit !== undefined) return hit ?? undefined;
    }
    return this.#base.get(id);
  }
  has(id: string): boolean {
    return this.get(id) !== undefined;
  }
  [Symbol.iterator](): Iterator<Endpoint> {
    return this.endpoints[Symbol.iterator]();
  }
  withRevision(revision: string): FrozenEndpointSet {
    return revision === this.revision ? this : new FrozenEndpointSet(this.endpoints, this.#base, this.#overlay, revision);
  }
  derive(endpoints: readonly Endpoint[], changes: ReadonlyMap<string, Endpoint | null>, revision: string): FrozenEndpointSet {
    const size = (this.#overlay?.size ?? 0) + changes.size;
    if (size > MAX_OVERLAY) {
      const index = new Map<string, Endpoint>();
      for (const e of endpoints) index.set(e.id, e);
      return new FrozenEndpointSet(endpoints, index, null, revision);
    }
    const overlay = new Map(this.#overlay ?? []);
    for (const [id, e] of changes) overlay.set(id, e);
    return new FrozenEndpointSet(endpoints, this.#base, overlay, revision);
  }
}

/** The same members under another revision, sharing storage (O(1)). */
export function withRevision(set: EndpointSet, revision: string): EndpointSet {
  if (set instanceof FrozenEndpointSet) return set.withRevision(revision);
  return createEndpointSet(set.endpoints, { revision });
}

/**
 * Builds a frozen snapshot from normalized endpoints (see `parseEndpoint`). Throws
 * {@link InvalidEndpointError} when two endpoints share an id: a set is whole or not at all.
 */
export function createEndpointSet(endpoints: Iterable<Endpoint>, options: EndpointSetOptions = {}): EndpointSet {
  const list = [...endpoints];
  const byId = new Map<string, Endpoint>();
  for (const e of list) {
    if (byId.has(e.id)) throw new InvalidEndpointError(`duplicate endpoint id "${e.id}"`, 'id');
    byId.set(e.id, e);
  }
  list.sort(compareEndpoints);
  return new FrozenEndpointSet(Object.freeze(list), byId, null, options.revision ?? '0');
}

/** The empty snapshot. */
export const EMPTY_ENDPOINT_SET: EndpointSet = createEndpointSet([], { revision: '0' });

export interface EndpointSetDiff {
  readonly added: readonly Endpoint[];
  readonly removed: readonly Endpoint[];
  readonly changed: readonly { readonly before: Endpoint; readonly after: Endpoint }[];
}

/** What changed from `before` to `after`, by endpoint id. Lists follow `after`'s (or `before`'s) order. */
export function diffEndpointSets(before: EndpointSet, after: EndpointSet): EndpointSetDiff {
  const added: Endpoint[] = [];
  const changed: { before: Endpoint; after: Endpoint }[] = [];
  for (const e of after.endpoints) {
    const old = before.get(e.id);
    if (!old) added.push(e);
    else if (!endpointsEqual(old, e)) changed.push({ before: old, after: e });
  }
  const removed = before.endpoints.filter((e) => !after.has(e.id));
  return { added, removed, changed };
}

/** True when both sets hold the same endpoints with the same data (revisions aside). */
export function sameEndpoints(a: EndpointSet, b: EndpointSet): boolean {
  if (a.size !== b.size) return false;
  for (let i = 0; i < a.endpoints.length; i++) {
    if (!endpointsEqual(a.endpoints[i]!, b.endpoints[i]!)) return false;
  }
  return true;
}

/**
 * Applies upserts and removals (by id) to `set`, giving a new snapshot (or `set` itself, with
 * the given revision, when nothing actually changed). Each change costs a binary search and an
 * array splice; the id index is shared with `set`, so one change in a large set stays cheap.
 * An upsert of an existing id replaces it; removing an unknown id is ignored.
 */
export function applyEndpointChanges(
  set: EndpointSet,
  changes: { upsert?: readonly Endpoint[]; remove?: readonly string[] },
  options: EndpointSetOptions = {},
): EndpointSet {
  const revision = options.revision ?? set.revision;
  const touched = new Map<string, Endpoint | null>();
  const lookup = (id: string) => (touched.has(id) ? (touched.get(id) ?? undefined) : set.get(id));
  let list: Endpoint[] | undefined;
  const without = (e: Endpoint) => {
    list ??= Array.from(set.endpoints); // slice() of a frozen array is ~20× slower in V8
    list.splice(indexOf(list, e), 1);
  };
  for (const id of changes.remove ?? []) {
    const old = lookup(id);
    if (!old) continue;
    without(old);
    touched.set(id, null);
  }
  for (const e of changes.upsert ?? []) {
    const old = lookup(e.id);
    if (old && endpointsEqual(old, e)) continue;
    if (old) without(old);
    list ??= Array.from(set.endpoints); // slice() of a frozen array is ~20× slower in V8
    list.splice(insertionPoint(list, e), 0, e);
    touched.set(e.id, e);
  }
  if (!list) return withRevision(set, revision);
  Object.freeze(list);
  if (set instanceof FrozenEndpointSet) return set.derive(list, touched, revision);
  return createEndpointSet(list, { revision });
}

/** First index whose endpoint sorts at or after `e`. */
function insertionPoint(list: readonly Endpoint[], e: Endpoint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEndpoints(list[mid]!, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOf(list: readonly Endpoint[], e: Endpoint): number {
  const i = insertionPoint(list, e);
  if (list[i]?.id !== e.id) throw new Error(`endpoint ${e.id} not found in its sorted position`);
  return i;
}
