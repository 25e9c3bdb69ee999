import { applyEndpointChanges, createEndpoint, createEndpointSet, seededRandom } from '@wayfinder/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistentHash } from './consistent-hash.js';
import { maglev } from './maglev.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

const KEYS = Array.from({ length: 2000 }, (_, i) => `key-${i}`);

function mapping(policy = consistentHash({ pointsPerUnitWeight: 64 }), list = endpoints(10), balancer = policy.create()) {
  const picker = balancer.build(setOf(list));
  return new Map(KEYS.map((k) => [k, idOf(picker.pick({ affinityKey: k }))]));
}

describe('consistentHash (ring)', () => {
  it('maps the same key to the same endpoint in two independent balancers', () => {
    expect(mapping()).toEqual(mapping());
  });

  it('property: removing one endpoint moves only the keys it had', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.nat(), (n, r) => {
        const list = endpoints(n);
        const gone = `e${r % n}`;
        const before = mapping(undefined, list);
        const after = mapping(undefined, list.filter((e) => e.id !== gone));
        for (const k of KEYS) if (before.get(k) !== gone) expect(after.get(k)).toBe(before.get(k));
      }),
      { numRuns: 25 },
    );
  });

  it('property: adding one endpoint moves keys only onto it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), (n) => {
        const list = endpoints(n + 1);
        const before = mapping(undefined, list.slice(0, n));
        const after = mapping(undefined, list);
        for (const k of KEYS) if (after.get(k) !== `e${n}`) expect(after.get(k)).toBe(before.get(k));
      }),
      { numRuns: 25 },
    );
  });

  it('property: the mapping depends on the set only, not on the history of updates', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 8 }), (removals) => {
        const all = endpoints(16);
        const balancer = consistentHash({ pointsPerUnitWeight: 64 }).create();
        let set = setOf(all);
        balancer.build(set);
        const removed = new Set<string>();
        for (const r of removals) {
          if (removed.size === 15) break;
          removed.add(`e${r}`);
          set = applyEndpointChanges(set, { remove: [`e${r}`] });
          balancer.build(set);
        }
        const incremental = mapping(undefined, all.filter((e) => !removed.has(e.id)), balancer);
        const fresh = mapping(undefined, all.filter((e) => !removed.has(e.id)));
        expect(incremental).toEqual(fresh);
      }),
      { numRuns: 20 },
    );
  });

  it('an incrementally updated ring (many chunks) maps every key as a ring built fresh from the same set', () => {
    const rnd = seededRandom(7);
    const all = endpoints(600, (i) => ({ weight: 1 + (i % 3) }));
    const balancer = consistentHash({ pointsPerUnitWeight: 32 }).create();
    let set = setOf(all.slice(0, 400));
    balancer.build(set);
    for (let step = 0; step < 30; step++) {
      const ids = set.endpoints.map((e) => e.id);
      const r = rnd();
      const victim = ids[(rnd() * ids.length) | 0]!;
      const changes =
        r < 0.4
          ? { remove: [victim] }
          : r < 0.8
            ? { upsert: [all[400 + step * 5]!] }
            : { upsert: [createEndpoint({ address: set.get(victim)!.address, port: 80, id: victim, weight: 1 + ((step + 1) % 4) })] };
      set = applyEndpointChanges(set, changes);
      const incremental = balancer.build(set);
      const fresh = consistentHash({ pointsPerUnitWeight: 32 }).create().build(set);
      for (const k of KEYS) expect(idOf(incremental.pick({ affinityKey: k })), `step ${step}`).toBe(idOf(fresh.pick({ affinityKey: k })));
    }
  });

  it('honours weights: an endpoint of weight 3 gets 3× the keys of weight 1 (±15%)', () => {
    const picker = consistentHash().create().build(setOf(endpoints(4, (i) => ({ weight: i === 0 ? 3 : 1 }))));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30_000; i++) {
      const id = idOf(picker.pick({ affinityKey: `k${i}` }));
      counts[id] = (counts[id] ?? 0) + 1;
    }
    const ratio = counts.e0! / ((counts.e1! + counts.e2! + counts.e3!) / 3);
    expect(ratio).toBeGreaterThan(2.55);
    expect(ratio).toBeLessThan(3.45);
  });

  it('skips excluded endpoints by walking the ring, deterministically', () => {
    const picker = consistentHash().create().build(setOf(endpoints(5)));
    const home = idOf(picker.pick({ affinityKey: 'conversation-1' }));
    const next = idOf(picker.pick({ affinityKey: 'conversation-1', exclude: new Set([home]) }));
    expect(next).not.toBe(home);
    expect(idOf(picker.pick({ affinityKey: 'conversation-1', exclude: new Set([home]) }))).toBe(next);
  });

  it('picks at random without an affinity key', () => {
    const picker = consistentHash().create({ random: seededRandom(1) }).build(setOf(endpoints(5)));
    expect(new Set(Array.from({ length: 100 }, () => idOf(picker.pick()))).size).toBe(5);
  });

  it('rejects a bad algorithm naming the option', () => {
    expect(() => consistentHash({ algorithm: 'ketama' as 'ring' })).toThrow(/"algorithm"/);
  });
});

describe('maglev', () => {
  it('is selected by consistentHash({ algorithm: "maglev" }) and agrees with maglev()', () => {
    expect(mapping(consistentHash({ algorithm: 'maglev', tableSize: 4099 }))).toEqual(mapping(maglev({ tableSize: 4099 })));
  });

  it('gives every endpoint within 1% of its table share, weights honoured', () => {
    const list = [createEndpoint({ address: '10.0.0.1', port: 80, weight: 2 }), ...endpoints(3)];
    const picker = maglev().create().build(setOf(list));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40_000; i++) {
      const id = idOf(picker.pick({ affinityKey: `k${i}` }));
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts['10.0.0.1:80']! / 40_000).toBeGreaterThan(0.37);
    expect(counts['10.0.0.1:80']! / 40_000).toBeLessThan(0.43);
  });

  it('rejects a table size that is not prime', () => {
    expect(() => maglev({ tableSize: 65_536 })).toThrow(/"tableSize"/);
  });

  it('never returns an excluded endpoint while another remains', () => {
    const picker = maglev({ tableSize: 251 }).create().build(setOf(endpoints(4)));
    for (let i = 0; i < 100; i++) expect(idOf(picker.pick({ affinityKey: `k${i}`, exclude: new Set(['e0', 'e1', 'e2']) }))).toBe('e3');
  });
});

describe('consistent hashing is stable across versions (pinned mappings)', () => {
  // Replicas running different Wayfinder versions must agree on every key: a change of these
  // values is a breaking change of the hashing, to be made deliberately and announced.
  const set = createEndpointSet([1, 2, 3, 4, 5].map((n) => createEndpoint({ address: `10.0.0.${n}`, port: 8080 })));
  const keys = ['a', 'b', 'tenant-42', 'conversation-7', 'x', 'y', 'z', 'q'];
  const hosts = (policy: ReturnType<typeof consistentHash>) => {
    const picker = policy.create().build(set);
    return keys.map((key) => {
      const r = picker.pick({ affinityKey: key });
      return r.type === 'endpoint' ? Number(r.endpoint.address.split('.')[3]) : 0;
    });
  };
  it('ring', () => expect(hosts(consistentHash())).toEqual([1, 2, 4, 5, 3, 2, 3, 2]));
  it('maglev', () => expect(hosts(maglev())).toEqual([2, 2, 3, 4, 1, 1, 1, 2]));
});
