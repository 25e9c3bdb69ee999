import { type Endpoint, InvalidOptionError } from '@wayfinder/core';
import { type CandidateView, type CorePicker, type PolicyCore, endpointAt, nextAllowedIn, slotAt } from './core.js';
import { hashStringTo } from './hash.js';
import { maglevCore, type MaglevOptions, resolveMaglev } from './maglev.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';
import { createRingBuilder, type Ring, type RingSizing } from './ring.js';

export interface ConsistentHashOptions extends MaglevOptions {
  /** `ring` (default: minimal disruption, see below) or `maglev` (balanced table, more disruption). */
  algorithm?: 'ring' | 'maglev';
  /** Ring points per unit of endpoint weight. Default 1024 (a 2.2–3.1% standard deviation of shares). */
  pointsPerUnitWeight?: number;
  /** Upper bound on ring points (memory: about 12 bytes each). Default 2 097 152. */
  maxPoints?: number;
}

export const DEFAULT_POINTS_PER_UNIT_WEIGHT = 1024;
export const DEFAULT_MAX_RING_POINTS = 2 ** 21;
/** Seed of the key hash: the same in every process, so replicas agree without talking. */
export const KEY_HASH_SEED = 0;

/**
 * Consistent hashing on `PickContext.affinityKey`: every process that sees the same set sends a
 * key to the same endpoint, and a membership change moves only the keys of the endpoint that
 * left (or the share the new one takes); no key moves between two endpoints that both stayed.
 *
 * The default (`ring`) is a consistent-hash ring (Karger et al. 1997,
 * https://dl.acm.org/doi/10.1145/258533.258660) with 1024 points per unit of weight and an O(1)
 * bucket index: weights honoured, one hash plus about one comparison per pick, and one endpoint
 * change applied in O(points) without re-sorting. Why not AnchorHash, MementoHash or DxHash:
 * they are perfectly balanced and minimally disruptive but their mapping depends on the order
 * of past removals, so two replicas that saw different histories disagree; a mapping that is a
 * function of the set alone and never moves keys between survivors is necessarily a
 * rendezvous-style preference order (rings, HRW), whose balance is statistical. See
 * `docs/balancer.md` for the measured balance and disruption beside Maglev and `hashring`.
 *
 * `algorithm: 'maglev'` uses Google's Maglev table instead (see {@link maglev}).
 *
 * Without an affinity key the pick is uniformly random. Excluded endpoints (retries) are
 * skipped by walking the ring to the next owner.
 *
 * @example
 * const picker = consistentHash().create().build(set);
 * picker.pick({ affinityKey: conversationId });
 */
export function consistentHash(options: ConsistentHashOptions = {}): PipelinePolicy {
  const algorithm = options.algorithm ?? 'ring';
  if (algorithm === 'maglev') return createPipelinePolicy(maglevCore(resolveMaglev(options)));
  if (algorithm !== 'ring') throw new InvalidOptionError('algorithm', algorithm, 'must be "ring" or "maglev"');
  return createPipelinePolicy(ringCore(resolveRingSizing(options)));
}

export function resolveRingSizing(options: { pointsPerUnitWeight?: number; maxPoints?: number }): RingSizing {
  const pointsPerUnitWeight = options.pointsPerUnitWeight ?? DEFAULT_POINTS_PER_UNIT_WEIGHT;
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_RING_POINTS;
  if (!Number.isInteger(pointsPerUnitWeight) || pointsPerUnitWeight < 1 || pointsPerUnitWeight > 65_536) {
    throw new InvalidOptionError('pointsPerUnitWeight', pointsPerUnitWeight, 'must be an integer between 1 and 65536');
  }
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > 2 ** 24) {
    throw new InvalidOptionError('maxPoints', maxPoints, 'must be an integer between 1 and 16777216');
  }
  return { pointsPerUnitWeight, maxPoints };
}

/** Maps an affinity key to a candidate index through a ring over `candidates`. */
export interface RingPicker {
  pickKey(key: string, context: Parameters<CorePicker['pick']>[0]): number;
}

export function buildRingPicker(ring: Ring, candidates: readonly Endpoint[]): RingPicker {
  let maxHandle = 0;
  const handles = new Int32Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const h = ring.handleOf(candidates[i]!.id) ?? -1;
    handles[i] = h;
    if (h > maxHandle) maxHandle = h;
  }
  const indexOf = new Int32Array(maxHandle + 1).fill(-1);
  for (let i = 0; i < handles.length; i++) if (handles[i]! >= 0) indexOf[handles[i]!] = i;
  return new LutRingPicker(ring, indexOf, candidates.length, (i) => candidates[i]!);
}

class LutRingPicker implements RingPicker {
  readonly #luts: Int32Array;
  readonly #offsets: Int32Array;
  readonly #points: Uint32Array;
  readonly #owners: Int32Array;
  readonly #chunkShift: number;
  readonly #lutShift: number;
  readonly #lutMask: number;
  readonly #hash = new Uint32Array(1);
  constructor(
    readonly ring: Ring,
    readonly indexOf: Int32Array,
    readonly count: number,
    readonly endpointOf: (index: number) => Endpoint,
  ) {
    this.#luts = ring.lutArena;
    this.#offsets = ring.lutOffset;
    this.#points = ring.pointArena;
    this.#owners = ring.ownerArena;
    this.#chunkShift = ring.chunkShift;
    this.#lutShift = ring.lutShift;
    this.#lutMask = ring.lutMask;
  }

  pickKey(key: string, context: Parameters<CorePicker['pick']>[0]): number {
    hashStringTo(key, KEY_HASH_SEED, this.#hash);
    const hash = this.#hash[0]!;
    let handle = this.#luts[this.#offsets[hash >>> this.#chunkShift]! + ((hash >>> this.#lutShift) & this.#lutMask)]!;
    if (handle < 0) {
      const pts = this.#points;
      let j = -handle - 1;
      while (pts[j]! < hash) j++;
      handle = this.#owners[j]!;
    }
    const first = this.indexOf[handle]!;
    const exclude = context?.exclude;
    if (exclude === undefined || exclude.size === 0 || !exclude.has(this.endpointOf(first).id)) return first;
    return this.#walk(hash, exclude, first);
  }

  #walk(hash: number, exclude: ReadonlySet<string>, first: number): number {
    let found = -1;
    this.ring.walk(hash, (handle) => {
      const i = this.indexOf[handle]!;
      if (exclude.has(this.endpointOf(i).id)) return false;
      found = i;
      return true;
    });
    if (found >= 0) return found;
    for (let k = 1; k < this.count; k++) {
      const i = (first + k) % this.count;
      if (!exclude.has(this.endpointOf(i).id)) return i;
    }
    return first;
  }
}

function ringCore(sizing: RingSizing): PolicyCore {
  return {
    name: 'consistent-hash',
    create(env) {
      const rng = env.rng;
      const builder = createRingBuilder(sizing);
      let handleOfSlot = new Int32Array(64);
      let totalWeight = 0;
      const setHandle = (slot: number, handle: number) => {
        if (slot >= handleOfSlot.length) {
          const grown = new Int32Array(Math.max(slot + 1, handleOfSlot.length * 2));
          grown.set(handleOfSlot);
          handleOfSlot = grown;
        }
        handleOfSlot[slot] = handle;
      };
      const pickerFor = (ring: Ring, view: CandidateView): CorePicker => {
        const indexOf = new Int32Array(builder.handleLimit + 1).fill(-1);
        for (let i = 0; i < view.size; i++) {
          const h = handleOfSlot[slotAt(view, i)]!;
          if (h >= 0) indexOf[h] = i;
        }
        const keyed = new LutRingPicker(ring, indexOf, view.size, (i) => endpointAt(view, i));
        const n = view.size;
        return {
          pick(context) {
            const key = context?.affinityKey;
            if (key !== undefined) return keyed.pickKey(key, context);
            const i = rng.below(n);
            return context?.exclude === undefined ? i : nextAllowedIn(context, view, i, i);
          },
        };
      };
      return {
        build(candidates, states, view): CorePicker {
          const ring = builder.update(candidates);
          totalWeight = 0;
          for (let i = 0; i < candidates.length; i++) {
            totalWeight += candidates[i]!.weight;
            setHandle(states[i]!.slot, ring.handleOf(candidates[i]!.id) ?? -1);
          }
          return pickerFor(ring, view);
        },
        // A small delta rewrites only the ring chunks holding the changed endpoints' points.
        patch(_previous, view, firstNew, left) {
          let weight = totalWeight;
          for (const e of left) weight -= e.weight;
          const joined: Endpoint[] = [];
          for (let i = firstNew; i < view.size; i++) {
            const e = endpointAt(view, i);
            joined.push(e);
            weight += e.weight;
          }
          const ring = builder.patch(
            left.map((e) => e.id),
            joined,
            weight,
            view.size,
          );
          if (ring === undefined) return undefined;
          totalWeight = weight;
          for (let i = firstNew; i < view.size; i++) setHandle(slotAt(view, i), ring.handleOf(endpointAt(view, i).id) ?? -1);
          return pickerFor(ring, view);
        },
      };
    },
  };
}
