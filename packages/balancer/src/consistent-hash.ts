import { type Endpoint, InvalidOptionError } from '@wayfinder/core';
import { type CorePicker, type PolicyCore, isExcluded, nextAllowed } from './core.js';
import { hashString } from './hash.js';
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
  const handleToIndex = new Map<number, number>();
  candidates.forEach((e, i) => {
    const h = ring.handleOf(e.id);
    if (h !== undefined) handleToIndex.set(h, i);
  });
  const indexOf = new Int32Array(Math.max(0, ...handleToIndex.keys()) + 1).fill(-1);
  for (const [h, i] of handleToIndex) indexOf[h] = i;
  const size = ring.size;
  return {
    pickKey(key, context) {
      let p = ring.locate(hashString(key, KEY_HASH_SEED));
      const first = indexOf[ring.ownerAt(p)]!;
      if (context?.exclude === undefined || !isExcluded(context, candidates, first)) return first;
      for (let k = 1; k < size; k++) {
        p = p + 1 === size ? 0 : p + 1;
        const i = indexOf[ring.ownerAt(p)]!;
        if (!isExcluded(context, candidates, i)) return i;
      }
      return nextAllowed(context, candidates, first, first);
    },
  };
}

function ringCore(sizing: RingSizing): PolicyCore {
  return {
    name: 'consistent-hash',
    create(env) {
      const rng = env.rng;
      const builder = createRingBuilder(sizing);
      return {
        build(candidates): CorePicker {
          const n = candidates.length;
          const ring = buildRingPicker(builder.update(candidates), candidates);
          return {
            pick(context) {
              const key = context?.affinityKey;
              if (key !== undefined) return ring.pickKey(key, context);
              const i = rng.below(n);
              return context?.exclude === undefined ? i : nextAllowed(context, candidates, i, i);
            },
          };
        },
      };
    },
  };
}
