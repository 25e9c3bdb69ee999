import type { Endpoint } from '@wayfinder/core';
import { hashString, mix32 } from './hash.js';

const HANDLE_SPACE = 2 ** 21;
const POINT_SEED = 0x5bd1e995;
/** The lookup table has 2–4 entries per point, at most 2^22 (16 MiB). */
const MAX_LUT_BITS = 22;
/** Lookup-table entries per chunk (the unit rewritten on an update). */
const CHUNK_LUT_BITS = 8;

/** Ring sizing: `pointsPerUnitWeight` unless the whole ring would exceed `maxPoints`. */
export interface RingSizing {
  readonly pointsPerUnitWeight: number;
  readonly maxPoints: number;
}

/**
 * A consistent-hash ring (Karger et al. 1997) with many points per endpoint.
 *
 * The ring is a pure function of the members and their weights (every process that sees the
 * same set builds the same ring), and point positions depend only on the endpoint's own id, so
 * a change moves only the keys of the endpoint that left, joined or changed weight.
 *
 * Layout, all in flat typed arrays: the hash space is cut into `2^chunkBits` chunks; each
 * chunk has a lookup table on the next hash bits, whose entry is the owner's handle when no
 * point falls in that slice (most lookups: one read) or `-(i + 1)` to scan the points from
 * arena index `i` (each chunk's points end with a 0xFFFFFFFF sentinel owned by the first point
 * after the chunk). An update appends new tables and points for the chunks holding changed
 * points (and the chunk before each) to the arenas and publishes new offset arrays; the data a
 * published ring reads is never written again (arenas are compacted into new ones when full).
 */
export interface Ring {
  /** Points on the ring. */
  readonly size: number;
  readonly chunkShift: number;
  readonly lutShift: number;
  readonly lutMask: number;
  readonly lutArena: Int32Array;
  /** Per chunk: offset of its table in `lutArena`. */
  readonly lutOffset: Int32Array;
  /** Point positions per chunk, ascending (ties by endpoint id), each chunk ending with a sentinel. */
  readonly pointArena: Uint32Array;
  /** The owner handle of each point (at the sentinel: the owner of the first point after the chunk). */
  readonly ownerArena: Int32Array;
  /** Per chunk: offset of its points in the point and owner arenas, and their count. */
  readonly pointOffset: Int32Array;
  readonly pointCount: Int32Array;
  /** The handle owning the point a 32-bit hash lands on. */
  ownerOf(hash: number): number;
  /** Calls `visit` with the owners of the points from the one `hash` lands on, in ring order, until it returns true (at most `size` points). */
  walk(hash: number, visit: (handle: number) => boolean): void;
  /** The handle of an endpoint id (stable for as long as the id stays on the ring). */
  handleOf(id: string): number | undefined;
}

export interface RingBuilder {
  update(members: readonly Endpoint[]): Ring;
  /**
   * Applies a few membership changes (ids that left, endpoints that joined or changed) given
   * the new total weight and member count, in O(changed points); undefined when the change
   * resizes every endpoint's share of points (then call {@link update}).
   */
  patch(left: readonly string[], joined: readonly Endpoint[], totalWeight: number, members: number): Ring | undefined;
  /** One more than the largest handle in use. */
  readonly handleLimit: number;
}

const SENTINEL = 0xffffffff;
/** Arena capacity over live data: room for updates before a compaction copies the ring. */
const ARENA_SLACK = 2;

export function createRingBuilder(sizing: RingSizing): RingBuilder {
  const handles = new Map<string, number>();
  const free: number[] = [];
  let nextHandle = 0;
  const ids: string[] = [];
  /** Points each handle has on the current ring. */
  const counts = new Map<number, number>();
  let perUnit = 0;
  let total = 0;
  let lutBits = 0;
  let chunkBits = 0;
  let lutArena = new Int32Array(0);
  let pointArena = new Uint32Array(0);
  let ownerArena = new Int32Array(0);
  let lutUsed = 0;
  let pointUsed = 0;
  let lutOffset = new Int32Array(0);
  let pointOffset = new Int32Array(0);
  let pointCount = new Int32Array(0);

  const handleFor = (id: string): number => {
    let h = handles.get(id);
    if (h === undefined) {
      h = free.pop() ?? nextHandle++;
      if (h >= HANDLE_SPACE) throw new RangeError('too many endpoints for one ring');
      handles.set(id, h);
      ids[h] = id;
    }
    return h;
  };

  let weightedMode = true;
  const countFor = (e: Endpoint, unit: number, weighted: boolean): number => {
    const w = weighted ? e.weight : 1;
    return w > 0 ? Math.max(1, Math.round(unit * w)) : 0;
  };

  return {
    get handleLimit() {
      return nextHandle;
    },
    update(members) {
      let totalWeight = 0;
      for (const e of members) totalWeight += e.weight;
      const weighted = totalWeight > 0;
      if (!weighted) totalWeight = members.length;
      const unit = pointsPerUnit(sizing, totalWeight);
      const wanted = new Map<string, number>();
      let wantedTotal = 0;
      for (const e of members) {
        const c = countFor(e, unit, weighted);
        wanted.set(e.id, c);
        wantedTotal += c;
      }
      let changed = unit !== perUnit || weighted !== weightedMode || bitsFor(wantedTotal) !== lutBits;
      const changes = new Map<string, number>();
      if (!changed) {
        for (const [id, h] of handles) {
          const w = wanted.get(id) ?? 0;
          if (w !== counts.get(h)) changes.set(id, w);
        }
        for (const [id, w] of wanted) if (w > 0 && !handles.has(id)) changes.set(id, w);
        changed = changes.size * 4 > members.length + 1;
      }
      if (changed) fullBuild(wanted);
      else if (changes.size > 0) applyDiff(changes);
      perUnit = unit;
      weightedMode = weighted;
      total = wantedTotal;
      return freeze();
    },
    patch(left, joined, totalWeight, members) {
      const weighted = totalWeight > 0;
      const unit = pointsPerUnit(sizing, weighted ? totalWeight : members);
      if (unit !== perUnit || weighted !== weightedMode) return undefined;
      const changes = new Map<string, number>();
      for (const id of left) changes.set(id, 0);
      for (const e of joined) changes.set(e.id, countFor(e, unit, weighted));
      let newTotal = total;
      for (const [id, c] of changes) {
        const h = handles.get(id);
        const had = h === undefined ? 0 : counts.get(h)!;
        if (had === c) changes.delete(id);
        else newTotal += c - had;
      }
      if (bitsFor(newTotal) !== lutBits) return undefined;
      if (changes.size > 0) applyDiff(changes);
      total = newTotal;
      return freeze();
    },
  };

  function release(id: string): void {
    const h = handles.get(id)!;
    handles.delete(id);
    counts.delete(h);
    free.push(h);
  }

  function lutSize(): number {
    return 2 ** (lutBits - chunkBits);
  }

  /** Room for `lut` table entries and `points` points (plus sentinels), compacting into new arenas when full. */
  function reserve(lut: number, points: number): void {
    if (lutUsed + lut <= lutArena.length && pointUsed + points <= pointArena.length) return;
    const chunks = lutOffset.length;
    const liveLut = chunks * lutSize();
    let livePoints = chunks;
    for (let c = 0; c < chunks; c++) livePoints += pointCount[c]!;
    const oldPoints = pointArena;
    const oldOwners = ownerArena;
    const oldOffset = pointOffset;
    lutArena = new Int32Array(Math.ceil(ARENA_SLACK * liveLut) + lut);
    pointArena = new Uint32Array(Math.ceil(ARENA_SLACK * livePoints) + points);
    ownerArena = new Int32Array(pointArena.length);
    lutUsed = 0;
    pointUsed = 0;
    lutOffset = new Int32Array(chunks);
    pointOffset = new Int32Array(chunks);
    for (let c = 0; c < chunks; c++) {
      const from = oldOffset[c]!;
      const n = pointCount[c]!;
      writeChunk(c, oldPoints.subarray(from, from + n), oldOwners.subarray(from, from + n), oldOwners[from + n]!);
    }
  }

  /** Appends chunk `c` (points, owners, tail owner) and its table; the caller reserved room. */
  function writeChunk(c: number, pos: Uint32Array, own: Int32Array, tail: number): void {
    const n = pos.length;
    const base = pointUsed;
    pointArena.set(pos, base);
    ownerArena.set(own, base);
    pointArena[base + n] = SENTINEL;
    ownerArena[base + n] = tail;
    pointUsed += n + 1;
    pointOffset[c] = base;
    pointCount[c] = n;
    const size = lutSize();
    const lutShift = 32 - lutBits;
    const mask = size - 1;
    const lut = lutUsed;
    lutOffset[c] = lut;
    lutUsed += size;
    let cur = 0;
    for (let p = 0; p < n; p++) {
      const b = (pos[p]! >>> lutShift) & mask;
      if (b < cur) continue;
      const o = own[p]!;
      while (cur < b) lutArena[lut + cur++] = o;
      lutArena[lut + cur++] = -(base + p + 1);
    }
    while (cur < size) lutArena[lut + cur++] = tail;
  }

  function fullBuild(wanted: Map<string, number>): void {
    for (const id of [...handles.keys()]) release(id);
    let count = 0;
    for (const c of wanted.values()) count += c;
    const out = new Float64Array(count);
    let k = 0;
    for (const [id, c] of wanted) {
      if (c === 0) continue;
      const h = handleFor(id);
      counts.set(h, c);
      k = writePoints(out, k, id, h, c);
    }
    out.sort();
    const [pos, owner] = decode(out);
    orderTies(pos, owner, ids);
    lutBits = bitsFor(count);
    chunkBits = Math.max(1, lutBits - CHUNK_LUT_BITS);
    const chunks = 2 ** chunkBits;
    const shift = 32 - chunkBits;
    lutArena = new Int32Array(Math.ceil(ARENA_SLACK * chunks * lutSize()));
    pointArena = new Uint32Array(Math.ceil(ARENA_SLACK * (count + chunks)));
    ownerArena = new Int32Array(pointArena.length);
    lutUsed = 0;
    pointUsed = 0;
    lutOffset = new Int32Array(chunks);
    pointOffset = new Int32Array(chunks);
    pointCount = new Int32Array(chunks);
    let p = 0;
    for (let c = 0; c < chunks; c++) {
      const start = p;
      while (p < count && pos[p]! >>> shift === c) p++;
      writeChunk(c, pos.subarray(start, p), owner.subarray(start, p), owner[p === count ? 0 : p]!);
    }
  }

  /** Applies id → new point count (0: leaves) for the ids whose count changes. */
  function applyDiff(changes: Map<string, number>): void {
    const dropMask = new Uint8Array(nextHandle + 1);
    const removed: [string, number][] = [];
    const added: [string, number][] = [];
    for (const [id, c] of changes) {
      const h = handles.get(id);
      if (h !== undefined) {
        dropMask[h] = 1;
        removed.push([id, counts.get(h)!]);
        release(id);
      }
      if (c > 0) added.push([id, c]);
    }
    const shift = 32 - chunkBits;
    const touched = new Set<number>();
    for (const [id, had] of removed) {
      const seed = hashString(id, POINT_SEED);
      for (let i = 0; i < had; i++) touched.add(mix32(seed, i) >>> shift);
    }
    let addCount = 0;
    for (const [, c] of added) addCount += c;
    const extra = new Float64Array(addCount);
    let k = 0;
    for (const [id, c] of added) {
      const h = handleFor(id);
      counts.set(h, c);
      k = writePoints(extra, k, id, h, c);
    }
    extra.sort();
    const [addPos, addOwner] = decode(extra);
    orderTies(addPos, addOwner, ids);
    for (let i = 0; i < addCount; i++) touched.add(addPos[i]! >>> shift);

    // The new points of each touched chunk: the old ones minus dropped owners, merged with the new ones.
    const chunks = lutOffset.length;
    const sorted = [...touched].sort((x, y) => x - y);
    const merged = new Map<number, [Uint32Array, Int32Array]>();
    const countOf = (c: number) => merged.get(c)?.[0].length ?? pointCount[c]!;
    let a = 0;
    for (const c of sorted) {
      while (a < addCount && addPos[a]! >>> shift < c) a++;
      let end = a;
      while (end < addCount && addPos[end]! >>> shift === c) end++;
      const from = pointOffset[c]!;
      const n = pointCount[c]!;
      merged.set(c, mergePoints(pointArena.subarray(from, from + n), ownerArena.subarray(from, from + n), dropMask, addPos.subarray(a, end), addOwner.subarray(a, end), ids));
      a = end;
    }
    // Each touched chunk and those before it up to the previous non-empty one get a new tail owner and table.
    const redo = new Set<number>(sorted);
    for (const c of sorted) {
      for (let s = 1, p = c; s < chunks; s++) {
        p = p === 0 ? chunks - 1 : p - 1;
        redo.add(p);
        if (countOf(p) > 0) break;
      }
    }
    const firstOwner = (c: number) => {
      const m = merged.get(c);
      return m !== undefined ? m[1][0]! : ownerArena[pointOffset[c]!]!;
    };
    let lutNeed = 0;
    let pointNeed = 0;
    for (const c of redo) {
      lutNeed += lutSize();
      pointNeed += countOf(c) + 1;
    }
    lutOffset = lutOffset.slice();
    pointOffset = pointOffset.slice();
    pointCount = pointCount.slice();
    reserve(lutNeed, pointNeed);
    for (const c of redo) {
      let tail = -1;
      for (let s = 1, p = c; s <= chunks; s++) {
        p = p + 1 === chunks ? 0 : p + 1;
        if (countOf(p) > 0) {
          tail = firstOwner(p);
          break;
        }
      }
      const m = merged.get(c);
      if (m !== undefined) writeChunk(c, m[0], m[1], tail);
      else {
        const from = pointOffset[c]!;
        const n = pointCount[c]!;
        writeChunk(c, pointArena.slice(from, from + n), ownerArena.slice(from, from + n), tail);
      }
    }
  }

  function freeze(): Ring {
    const lutShift = 32 - lutBits;
    const chunkShift = 32 - chunkBits;
    const lutMask = lutSize() - 1;
    const luts = lutArena;
    const offsets = lutOffset;
    const pts = pointArena;
    const owners = ownerArena;
    const ptOffset = pointOffset;
    const ptCount = pointCount;
    const size = total;
    const chunks = offsets.length;
    return {
      size,
      chunkShift,
      lutShift,
      lutMask,
      lutArena: luts,
      lutOffset: offsets,
      pointArena: pts,
      ownerArena: owners,
      pointOffset: ptOffset,
      pointCount: ptCount,
      ownerOf(hash) {
        const e = luts[offsets[hash >>> chunkShift]! + ((hash >>> lutShift) & lutMask)]!;
        if (e >= 0) return e;
        let j = -e - 1;
        while (pts[j]! < hash) j++;
        return owners[j]!;
      },
      walk(hash, visit) {
        let c = hash >>> chunkShift;
        let j = ptOffset[c]!;
        while (pts[j]! < hash) j++;
        for (let seen = 0; seen < size; ) {
          const end = ptOffset[c]! + ptCount[c]!;
          for (; j < end && seen < size; j++, seen++) if (visit(owners[j]!)) return;
          c = c + 1 === chunks ? 0 : c + 1;
          j = ptOffset[c]!;
        }
      },
      handleOf: (id) => handles.get(id),
    };
  }
}

/** Ceil(log2(points)) + 1, within [2, MAX_LUT_BITS]: 2–4 table entries per point. */
function bitsFor(points: number): number {
  return Math.max(2, Math.min(MAX_LUT_BITS, 33 - Math.clz32(Math.max(1, points - 1))));
}

/**
 * Merges a chunk's sorted points, leaving out owners marked in `drop`, with sorted new points
 * (ties ordered by endpoint id).
 */
function mergePoints(
  pos: Uint32Array,
  owner: Int32Array,
  drop: Uint8Array,
  addPos: Uint32Array,
  addOwner: Int32Array,
  ids: readonly string[],
): [Uint32Array, Int32Array] {
  const n = pos.length;
  const m = addPos.length;
  let kept = 0;
  for (let i = 0; i < n; i++) if (drop[owner[i]!] === 0) kept++;
  const outPos = new Uint32Array(kept + m);
  const outOwner = new Int32Array(kept + m);
  let j = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const h = owner[i]!;
    if (drop[h] !== 0) continue;
    const p = pos[i]!;
    while (j < m && (addPos[j]! < p || (addPos[j] === p && ids[addOwner[j]!]! < ids[h]!))) {
      outPos[o] = addPos[j]!;
      outOwner[o++] = addOwner[j++]!;
    }
    outPos[o] = p;
    outOwner[o++] = h;
  }
  while (j < m) {
    outPos[o] = addPos[j]!;
    outOwner[o++] = addOwner[j++]!;
  }
  return [outPos, outOwner];
}

/** Equal positions are ordered by endpoint id, not by process-local handle, so every process agrees. */
function orderTies(pos: Uint32Array, owner: Int32Array, ids: readonly string[]): void {
  for (let i = 1; i < pos.length; i++) {
    if (pos[i] !== pos[i - 1]) continue;
    for (let j = i; j > 0 && pos[j] === pos[j - 1] && ids[owner[j]!]! < ids[owner[j - 1]!]!; j--) {
      const t = owner[j]!;
      owner[j] = owner[j - 1]!;
      owner[j - 1] = t;
    }
  }
}

function decode(sorted: Float64Array): [Uint32Array, Int32Array] {
  const n = sorted.length;
  const pos = new Uint32Array(n);
  const owner = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    const p = Math.floor(v / HANDLE_SPACE);
    pos[i] = p;
    owner[i] = v - p * HANDLE_SPACE;
  }
  return [pos, owner];
}

function writePoints(out: Float64Array, k: number, id: string, handle: number, count: number): number {
  const seed = hashString(id, POINT_SEED);
  for (let i = 0; i < count; i++) out[k++] = mix32(seed, i) * HANDLE_SPACE + handle;
  return k;
}

/** Points per unit of weight: the configured number, halved until the ring fits `maxPoints` (each endpoint keeps ≥ 1). */
function pointsPerUnit(sizing: RingSizing, totalWeight: number): number {
  let unit = sizing.pointsPerUnitWeight;
  while (unit * totalWeight > sizing.maxPoints) unit /= 2;
  return unit;
}
