import type { Endpoint } from '@wayfinder/core';
import { hashString, mix32 } from './hash.js';

const HANDLE_SPACE = 2 ** 21;
const POINT_SEED = 0x5bd1e995;

/** Ring sizing: `pointsPerUnitWeight` unless the whole ring would exceed `maxPoints`. */
export interface RingSizing {
  readonly pointsPerUnitWeight: number;
  readonly maxPoints: number;
}

/**
 * A consistent-hash ring (Karger et al. 1997) with many points per endpoint, kept sorted in
 * typed arrays and indexed by the top bits of the position so a lookup is O(1) expected.
 *
 * The ring is a pure function of the members and their weights (every process that sees the
 * same set builds the same ring), and point positions depend only on the endpoint's own id, so
 * a change moves only the keys of the endpoint that left, joined or changed weight. Updates
 * apply the difference to the previous ring (O(points) copy, no re-sort of the untouched part).
 */
export interface Ring {
  readonly size: number;
  /** The point index a 32-bit key hash lands on. */
  locate(hash: number): number;
  /** The handle of the endpoint owning point `index`. */
  ownerAt(index: number): number;
  /** The handle of an endpoint id (stable for as long as the id stays on the ring). */
  handleOf(id: string): number | undefined;
}

export interface RingBuilder {
  update(members: readonly Endpoint[]): Ring;
}

export function createRingBuilder(sizing: RingSizing): RingBuilder {
  const handles = new Map<string, number>();
  const free: number[] = [];
  let nextHandle = 0;
  const ids: string[] = [];
  /** Points each handle has on the current ring. */
  const counts = new Map<number, number>();
  let pos: Uint32Array = new Uint32Array(0);
  let owner: Int32Array = new Int32Array(0);
  let perUnit = 0;

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

  return {
    update(members) {
      let totalWeight = 0;
      for (const e of members) totalWeight += e.weight;
      const weightOf = totalWeight > 0 ? (e: Endpoint) => e.weight : () => 1;
      if (totalWeight === 0) totalWeight = members.length;
      const unit = pointsPerUnit(sizing, totalWeight);
      const wanted = new Map<string, number>();
      for (const e of members) {
        const w = weightOf(e);
        wanted.set(e.id, w > 0 ? Math.max(1, Math.round(unit * w)) : 0);
      }
      let changed = unit !== perUnit;
      let diff = 0;
      if (!changed) {
        for (const [id, h] of handles) if (wanted.get(id) !== counts.get(h)) diff++;
        for (const id of wanted.keys()) if (!handles.has(id)) diff++;
        changed = diff * 4 > members.length + 1;
      }
      if (changed) fullBuild(wanted);
      else if (diff > 0) applyDiff(wanted);
      perUnit = unit;
      return freeze();
    },
  };

  function release(id: string): void {
    const h = handles.get(id)!;
    handles.delete(id);
    counts.delete(h);
    free.push(h);
  }

  function fullBuild(wanted: Map<string, number>): void {
    for (const id of [...handles.keys()]) release(id);
    let total = 0;
    for (const c of wanted.values()) total += c;
    const out = new Float64Array(total);
    let k = 0;
    for (const [id, count] of wanted) {
      if (count === 0) continue;
      const h = handleFor(id);
      counts.set(h, count);
      k = writePoints(out, k, id, h, count);
    }
    out.sort();
    [pos, owner] = decode(out);
  }

  function applyDiff(wanted: Map<string, number>): void {
    const drop = new Set<number>();
    const add: [string, number][] = [];
    for (const [id, h] of [...handles]) {
      const w = wanted.get(id);
      if (w !== counts.get(h)) {
        drop.add(h);
        release(id);
        if (w !== undefined && w > 0) add.push([id, w]);
      }
    }
    for (const [id, w] of wanted) if (!handles.has(id) && w > 0 && !add.some((a) => a[0] === id)) add.push([id, w]);
    let addCount = 0;
    for (const [, c] of add) addCount += c;
    const extra = new Float64Array(addCount);
    let k = 0;
    for (const [id, count] of add) {
      const h = handleFor(id);
      counts.set(h, count);
      k = writePoints(extra, k, id, h, count);
    }
    extra.sort();
    const [addPos, addOwner] = decode(extra);
    const dropMask = new Uint8Array(nextHandle + 1);
    for (const h of drop) dropMask[h] = 1;
    const n = pos.length;
    let kept = 0;
    for (let i = 0; i < n; i++) if (dropMask[owner[i]!] === 0) kept++;
    const outPos = new Uint32Array(kept + addCount);
    const outOwner = new Int32Array(kept + addCount);
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < n || j < addCount) {
      if (i < n && dropMask[owner[i]!] === 1) {
        i++;
        continue;
      }
      if (j >= addCount || (i < n && pos[i]! <= addPos[j]!)) {
        outPos[o] = pos[i]!;
        outOwner[o++] = owner[i++]!;
      } else {
        outPos[o] = addPos[j]!;
        outOwner[o++] = addOwner[j++]!;
      }
    }
    pos = outPos;
    owner = outOwner;
  }

  function freeze(): Ring {
    const n = pos.length;
    const ownerOf = owner;
    const posOf = pos;
    // Equal positions are ordered by endpoint id, not by process-local handle, so every process agrees.
    for (let i = 1; i < n; i++) {
      if (posOf[i] !== posOf[i - 1]) continue;
      for (let j = i; j > 0 && posOf[j] === posOf[j - 1] && ids[ownerOf[j]!]! < ids[ownerOf[j - 1]!]!; j--) {
        const t = ownerOf[j]!;
        ownerOf[j] = ownerOf[j - 1]!;
        ownerOf[j - 1] = t;
      }
    }
    const bits = n < 2 ? 0 : Math.min(24, 31 - Math.clz32(n));
    const shift = 32 - bits;
    const buckets = new Uint32Array((1 << bits) + 1);
    let p = 0;
    for (let b = 0; b < 1 << bits; b++) {
      while (p < n && (bits === 0 ? 0 : posOf[p]! >>> shift) < b) p++;
      buckets[b] = p;
    }
    buckets[1 << bits] = n;
    return {
      size: n,
      locate(hash) {
        let j = buckets[bits === 0 ? 0 : hash >>> shift]!;
        while (j < n && posOf[j]! < hash) j++;
        return j === n ? 0 : j;
      },
      ownerAt: (index) => ownerOf[index]!,
      handleOf: (id) => handles.get(id),
    };
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
