import { type Endpoint, InvalidOptionError } from '@wayfinder/core';
import { buildRingPicker, type RingPicker, resolveRingSizing } from './consistent-hash.js';
import { type CorePicker, type PolicyCore, isExcluded, nextAllowed } from './core.js';
import { type PipelinePolicy, createPipelinePolicy } from './pipeline.js';
import { LruTable } from './lru-table.js';
import { createRingBuilder } from './ring.js';

export interface StickyOptions {
  /** Idle time after which a binding is forgotten. Default 10 800 000 ms (3 h, Kubernetes' default). */
  idleTimeoutMs?: number;
  /** Bindings kept; the least recently used is dropped beyond it. Default 65 536. */
  maxEntries?: number;
  /** Called when a key's endpoint left, stopped serving or was ejected and the key moved. */
  onRebind?: (key: string, from: Endpoint, to: Endpoint) => void;
}

export const DEFAULT_STICKY_IDLE_TIMEOUT_MS = 10_800_000;
export const DEFAULT_STICKY_MAX_ENTRIES = 65_536;

/**
 * Session affinity with Kubernetes `sessionAffinity: ClientIP` semantics
 * (https://kubernetes.io/docs/reference/networking/virtual-ips/#session-affinity), keyed by any
 * `PickContext.affinityKey` (client IP, conversation id, tenant): a bounded LRU table of
 * key → endpoint, forgotten after `idleTimeoutMs` without use.
 *
 * - A key's first binding comes from the consistent-hash ring, so replicas that never talked
 *   start out agreeing; the table then holds the binding through membership changes that would
 *   move a hashed key.
 * - A key is rebound (and `onRebind` called) when its endpoint leaves the set, stops serving,
 *   or is ejected by outlier detection.
 * - An endpoint that is `serving` but `terminating` keeps its existing keys until it stops
 *   serving, but gets no new ones (unless nothing else is left).
 * - Without a key, the pick is uniformly random among ready endpoints. An excluded endpoint
 *   (a retry) is avoided for that call without changing the binding.
 *
 * @example
 * const picker = sticky({ onRebind: (key, from, to) => log(key, from.id, to.id) }).create().build(set);
 * picker.pick({ affinityKey: request.clientIp });
 */
export function sticky(options: StickyOptions = {}): PipelinePolicy {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_STICKY_IDLE_TIMEOUT_MS;
  const maxEntries = options.maxEntries ?? DEFAULT_STICKY_MAX_ENTRIES;
  if (!(idleTimeoutMs > 0)) throw new InvalidOptionError('idleTimeoutMs', idleTimeoutMs, 'must be a positive number of ms');
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new InvalidOptionError('maxEntries', maxEntries, 'must be an integer ≥ 1');
  if (options.onRebind !== undefined && typeof options.onRebind !== 'function') {
    throw new InvalidOptionError('onRebind', options.onRebind, 'must be a function');
  }
  return createPipelinePolicy(stickyCore(idleTimeoutMs, maxEntries, options.onRebind));
}

function stickyCore(idleTimeoutMs: number, maxEntries: number, onRebind: StickyOptions['onRebind']): PolicyCore {
  return {
    name: 'sticky',
    keepsServing: true,
    create(env) {
      const rng = env.rng;
      const bindings = new LruTable(maxEntries);
      const builder = createRingBuilder(resolveRingSizing({}));
      return {
        build(candidates, states): CorePicker {
          // Serving candidates by balancer slot: a binding that holds is found with typed-array
          // reads, without touching endpoint objects (a slot's generation tells reuse apart).
          const slotTable = env.slots;
          const indexOfSlot = new Int32Array(slotTable.active.length).fill(-1);
          for (let i = 0; i < candidates.length; i++) if (candidates[i]!.serving) indexOfSlot[states[i]!.slot] = i;
          const fresh: number[] = [];
          candidates.forEach((e, i) => {
            if (e.ready && !e.terminating) fresh.push(i);
          });
          const eligibleIdx = fresh.length > 0 ? fresh : candidates.map((_, i) => i);
          const eligible = eligibleIdx.map((i) => candidates[i]!);
          const ring: RingPicker = buildRingPicker(builder.update(eligible), eligible);
          const m = eligibleIdx.length;
          const choose = (key: string, context: Parameters<CorePicker['pick']>[0]) => eligibleIdx[ring.pickKey(key, context)]!;
          // The slot a binding recorded is stale when its endpoint left and came back: look the id up then.
          let byId: Map<string, number> | undefined;
          const indexOfId = (id: string) => {
            byId ??= new Map(candidates.map((e, i) => [e.id, i]));
            return byId.get(id) ?? -1;
          };
          return {
            pick(context) {
              const key = context?.affinityKey;
              if (key === undefined) {
                const i = eligibleIdx[rng.below(m)]!;
                if (context?.exclude === undefined || !isExcluded(context, candidates, i)) return i;
                const other = eligibleIdx.find((j) => !isExcluded(context, candidates, j));
                return other ?? nextAllowed(context, candidates, i, i);
              }
              const now = env.now();
              const entry = bindings.find(key);
              const live = entry >= 0 && bindings.isLive(entry, now, idleTimeoutMs);
              if (live) {
                const slot = bindings.slotOf(entry);
                let i = slot < indexOfSlot.length && slotTable.generation[slot] === bindings.generationOf(entry) ? indexOfSlot[slot]! : -1;
                if (i < 0) {
                  i = indexOfId(bindings.endpointOf(entry).id);
                  if (i >= 0 && !candidates[i]!.serving) i = -1;
                }
                if (i >= 0) {
                  bindings.touch(entry, now);
                  if (context?.exclude === undefined || !isExcluded(context, candidates, i)) return i;
                  return choose(key, context);
                }
              }
              const i = choose(key, context);
              if (context?.exclude !== undefined && isExcluded(context, candidates, i)) return i;
              const to = candidates[i]!;
              const slot = states[i]!.slot;
              const generation = slotTable.generation[slot]!;
              if (entry >= 0) {
                const from = bindings.endpointOf(entry);
                bindings.touch(entry, now, to, slot, generation);
                if (live && from.id !== to.id) onRebind?.(key, from, to);
              } else {
                bindings.insert(key, to, slot, generation, now);
              }
              return i;
            },
          };
        },
      };
    },
  };
}
