import { type Endpoint, endpointsEqual } from './endpoint.js';
import { InvalidEndpointError } from './errors.js';
import { type ChunkEditor, SortedChunks } from './sorted-chunks.js';

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
  /**
   * The changes from `previous` to this set when this set was derived from it by a few
   * incremental updates (`applyEndpointChanges`, as the resolver does for watch events), else
   * `undefined` (then compare the sets yourself, e.g. with {@link diffEndpointSets}). O(changes):
   * lets a balancer update its state for one changed endpoint in a 10 000-endpoint set without
   * scanning it. Ancestors are held weakly: old snapshots are never kept alive by this.
   */
  changesSince(previous: EndpointSet): EndpointChanges | undefined;
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
/** Longest chain of overlays before they are folded into one. */
const MAX_CHAIN = 8;
/** How many ancestors a derived set remembers for {@link EndpointSet.changesSince}. */
const MAX_ANCESTORS = 4;
/** Larger accumulated deltas are not worth reporting: consumers rebuild anyway. */
const MAX_DELTA = 256;

type Delta = ReadonlyMap<string, Endpoint | null>;
interface Ancestor {
  readonly set: WeakRef<FrozenEndpointSet>;
  /** Changes from that ancestor to this set: id → endpoint now, or null when removed. */
  readonly delta: Delta;
}

class FrozenEndpointSet implements EndpointSet {
  readonly revision: string;
  // Members live in shared immutable chunks; the flat `endpoints` array is built on first use
  // (private fields stay writable on a frozen object).
  readonly #members: SortedChunks;
  #flat: readonly Endpoint[] | undefined;
  // Lookup is a shared base index plus a small overlay of later changes (null = removed), so a
  // set derived by applyEndpointChanges does not copy a 10 000-entry map for one change.
  readonly #base: ReadonlyMap<string, Endpoint>;
  /** Newest first; each maps id → endpoint, or null when removed. */
  readonly #overlays: readonly Delta[];
  readonly #overlaySize: number;
  // Weakly held ancestors with the changes since each, so a balancer can update its state for
  // one changed endpoint without scanning 10 000 (never keeps old snapshots alive).
  readonly #ancestors: readonly Ancestor[];

  constructor(
    members: SortedChunks,
    flat: readonly Endpoint[] | undefined,
    base: ReadonlyMap<string, Endpoint>,
    overlays: readonly Delta[],
    overlaySize: number,
    revision: string,
    ancestors: readonly Ancestor[] = [],
  ) {
    this.revision = revision;
    this.#members = members;
    this.#flat = flat;
    this.#base = base;
    this.#overlays = overlays;
    this.#overlaySize = overlaySize;
    this.#ancestors = ancestors;
    Object.freeze(this);
  }
  get endpoints(): readonly Endpoint[] {
    return (this.#flat ??= Object.freeze(this.#members.toArray()));
  }
  get size(): number {
    return this.#members.size;
  }
  /** The chunked members, shared with sets derived from this one. */
  get members(): SortedChunks {
    return this.#members;
  }
  get(id: string): Endpoint | undefined {
    const overlays = this.#overlays;
    for (let i = 0; i < overlays.length; i++) {
      const hit = overlays[i]!.get(id);
      if (hit !== undefined) return hit ?? undefined;
    }
    return this.#base.get(id);
  }
  has(id: string): boolean {
    return this.get(id) !== undefined;
  }
  [Symbol.iterator](): Iterator<Endpoint> {
    return this.#flat ? this.#flat[Symbol.iterator]() : this.#members[Symbol.iterator]();
  }
  changesSince(previous: EndpointSet): EndpointChanges | undefined {
    if (previous === this) return EMPTY_CHANGES;
    for (const a of this.#ancestors) {
      if (a.set.deref() !== previous) continue;
      const upsert: Endpoint[] = [];
      const remove: string[] = [];
      for (const [id, e] of a.delta) {
        if (e === null) remove.push(id);
        else upsert.push(e);
      }
      return { upsert, remove };
    }
    return undefined;
  }
  withRevision(revision: string): FrozenEndpointSet {
    if (revision === this.revision) return this;
    return new FrozenEndpointSet(this.#members, this.#flat, this.#base, this.#overlays, this.#overlaySize, revision, [{ set: new WeakRef(this), delta: EMPTY_DELTA }, ...this.#ancestors].slice(0, MAX_ANCESTORS));
  }
  derive(members: SortedChunks, changes: Delta, revision: string): FrozenEndpointSet {
    const ancestors: Ancestor[] = [{ set: new WeakRef(this), delta: changes }];
    for (const a of this.#ancestors) {
      if (ancestors.length >= MAX_ANCESTORS || a.delta.size + changes.size > MAX_DELTA || a.set.deref() === undefined) break;
      const delta = new Map(a.delta);
      for (const [id, e] of changes) delta.set(id, e);
      ancestors.push({ set: a.set, delta });
    }
    // Lookups go through a short chain of small overlays over a shared base index: a change adds
    // one overlay (no copy); the chain is folded every MAX_CHAIN changes and the base rebuilt
    // once MAX_OVERLAY ids are overlaid, so both costs are amortised O(1) per change.
    const size = this.#overlaySize + changes.size;
    if (size > MAX_OVERLAY) {
      const index = new Map<string, Endpoint>();
      for (const e of members) index.set(e.id, e);
      return new FrozenEndpointSet(members, undefined, index, [], 0, revision, ancestors);
    }
    let overlays: readonly Delta[] = [changes, ...this.#overlays];
    if (overlays.length > MAX_CHAIN) {
      const folded = new Map<string, Endpoint | null>();
      for (let i = overlays.length - 1; i >= 0; i--) for (const [id, e] of overlays[i]!) folded.set(id, e);
      overlays = [folded];
    }
    return new FrozenEndpointSet(members, undefined, this.#base, overlays, size, revision, ancestors);
  }
}

const EMPTY_DELTA: Delta = new Map();
const EMPTY_CHANGES: EndpointChanges = Object.freeze({ upsert: Object.freeze([]) as readonly Endpoint[], remove: Object.freeze([]) as readonly string[] });

/** Upserts and removals between two snapshots (see {@link EndpointSet.changesSince}). */
export interface EndpointChanges {
  /** Endpoints added or changed (compare with the previous set's `get(id)` to tell which). */
  readonly upsert: readonly Endpoint[];
  /** Ids of endpoints removed. */
  readonly remove: readonly string[];
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
  Object.freeze(list);
  return new FrozenEndpointSet(SortedChunks.from(list), list, byId, [], 0, options.revision ?? '0');
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

/**
 * True when both sets share their member storage (one was made from the other without a change,
 * e.g. under another revision): O(1), and a sufficient test of equal members.
 */
export function shareMembers(a: EndpointSet, b: EndpointSet): boolean {
  return a === b || (a instanceof FrozenEndpointSet && b instanceof FrozenEndpointSet && a.members === b.members);
}

/** True when both sets hold the same endpoints with the same data (revisions aside). */
export function sameEndpoints(a: EndpointSet, b: EndpointSet): boolean {
  if (shareMembers(a, b)) return true;
  if (a.size !== b.size) return false;
  for (let i = 0; i < a.endpoints.length; i++) {
    if (!endpointsEqual(a.endpoints[i]!, b.endpoints[i]!)) return false;
  }
  return true;
}

/**
 * Applies upserts and removals (by id) to `set`, giving a new snapshot (or `set` itself, with
 * the given revision, when nothing actually changed). Members and the id index are shared with
 * `set`: a change copies one chunk of about 256 references, so one change in a large set stays
 * cheap in time and in garbage.
 * An upsert of an existing id replaces it; removing an unknown id is ignored.
 */
export function applyEndpointChanges(
  set: EndpointSet,
  changes: { upsert?: readonly Endpoint[]; remove?: readonly string[] },
  options: EndpointSetOptions = {},
): EndpointSet {
  const revision = options.revision ?? set.revision;
  if (!(set instanceof FrozenEndpointSet)) {
    const drop = new Set(changes.remove ?? []);
    const up = new Map((changes.upsert ?? []).map((e) => [e.id, e]));
    return createEndpointSet([...set.endpoints.filter((e) => !drop.has(e.id) && !up.has(e.id)), ...up.values()], { revision });
  }
  const touched = new Map<string, Endpoint | null>();
  const lookup = (id: string) => (touched.has(id) ? (touched.get(id) ?? undefined) : set.get(id));
  let editor: ChunkEditor | undefined;
  for (const id of changes.remove ?? []) {
    const old = lookup(id);
    if (!old) continue;
    (editor ??= set.members.edit(compareEndpoints)).remove(old);
    touched.set(id, null);
  }
  for (const e of changes.upsert ?? []) {
    const old = lookup(e.id);
    if (old && endpointsEqual(old, e)) continue;
    editor ??= set.members.edit(compareEndpoints);
    if (old) editor.remove(old);
    editor.insert(e);
    touched.set(e.id, e);
  }
  if (!editor) return set.withRevision(revision);
  return set.derive(editor.finish(), touched, revision);
}

