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

class FrozenEndpointSet implements EndpointSet {
  readonly revision: string;
  readonly endpoints: readonly Endpoint[];
  readonly #byId: ReadonlyMap<string, Endpoint>;

  constructor(endpoints: readonly Endpoint[], byId: Map<string, Endpoint>, revision: string) {
    this.revision = revision;
    this.endpoints = endpoints;
    this.#byId = byId;
    Object.freeze(this);
  }
  get size(): number {
    return this.endpoints.length;
  }
  get(id: string): Endpoint | undefined {
    return this.#byId.get(id);
  }
  has(id: string): boolean {
    return this.#byId.has(id);
  }
  [Symbol.iterator](): Iterator<Endpoint> {
    return this.endpoints[Symbol.iterator]();
  }
  withRevision(revision: string): FrozenEndpointSet {
    return revision === this.revision ? this : new FrozenEndpointSet(this.endpoints, this.#byId as Map<string, Endpoint>, revision);
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
  return new FrozenEndpointSet(Object.freeze(list), byId, options.revision ?? '0');
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
 * Applies upserts and removals (by id) to `set`, giving a new snapshot. O(N) copy and no full
 * re-sort, so one change in a large set stays cheap. Throws like {@link createEndpointSet}.
 */
export function applyEndpointChanges(
  set: EndpointSet,
  changes: { upsert?: readonly Endpoint[]; remove?: readonly string[] },
  options: EndpointSetOptions = {},
): EndpointSet {
  const drop = new Set<string>(changes.remove ?? []);
  const upserts = new Map<string, Endpoint>();
  for (const e of changes.upsert ?? []) {
    upserts.set(e.id, e);
    drop.delete(e.id);
  }
  const kept: Endpoint[] = [];
  const byId = new Map<string, Endpoint>();
  for (const e of set.endpoints) {
    if (drop.has(e.id) || upserts.has(e.id)) continue;
    kept.push(e);
    byId.set(e.id, e);
  }
  const inserted = [...upserts.values()].sort(compareEndpoints);
  for (const e of inserted) {
    if (byId.has(e.id)) throw new InvalidEndpointError(`duplicate endpoint id "${e.id}"`, 'id');
    byId.set(e.id, e);
  }
  // Merge two sorted lists.
  const out: Endpoint[] = new Array(kept.length + inserted.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < kept.length && j < inserted.length) {
    out[k++] = compareEndpoints(kept[i]!, inserted[j]!) <= 0 ? kept[i++]! : inserted[j++]!;
  }
  while (i < kept.length) out[k++] = kept[i++]!;
  while (j < inserted.length) out[k++] = inserted[j++]!;
  return new FrozenEndpointSet(Object.freeze(out), byId, options.revision ?? set.revision);
}
