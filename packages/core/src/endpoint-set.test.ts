import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEndpoint } from './endpoint.js';
import { applyEndpointChanges, createEndpointSet, diffEndpointSets } from './endpoint-set.js';
import { InvalidEndpointError } from './errors.js';

const e = (address: string, port = 80, extra: object = {}) => createEndpoint({ address, port, ...extra });

describe('EndpointSet', () => {
  it('orders endpoints by address as text, then port', () => {
    const set = createEndpointSet([e('10.0.0.10', 80), e('10.0.0.9', 80), e('10.0.0.10', 79)]);
    expect(set.endpoints.map((x) => x.id)).toEqual(['10.0.0.10:79', '10.0.0.10:80', '10.0.0.9:80']);
  });

  it('is frozen and looks endpoints up by id', () => {
    const set = createEndpointSet([e('10.0.0.1')], { revision: '7' });
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.endpoints)).toBe(true);
    expect(set.revision).toBe('7');
    expect(set.get('10.0.0.1:80')?.address).toBe('10.0.0.1');
    expect(set.has('nope')).toBe(false);
    expect([...set]).toHaveLength(1);
  });

  it('refuses duplicate ids: a set is whole or not at all', () => {
    expect(() => createEndpointSet([e('10.0.0.1'), e('10.0.0.1')])).toThrow(InvalidEndpointError);
  });

  it('diffs added, removed and changed endpoints by id', () => {
    const before = createEndpointSet([e('a'), e('b'), e('c')]);
    const after = createEndpointSet([e('a'), e('b', 80, { ready: false }), e('d')]);
    const diff = diffEndpointSets(before, after);
    expect(diff.added.map((x) => x.id)).toEqual(['d:80']);
    expect(diff.removed.map((x) => x.id)).toEqual(['c:80']);
    expect(diff.changed.map((x) => [x.before.ready, x.after.ready])).toEqual([[true, false]]);
  });

  it('applies changes to the same result as building the set anew (property)', () => {
    const address = fc.integer({ min: 1, max: 30 }).map((n) => `10.0.0.${n}`);
    const item = fc.record({ address, port: fc.integer({ min: 1, max: 3 }), weight: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 20 }), fc.array(item, { maxLength: 10 }), fc.array(address, { maxLength: 10 }), (start, upserts, removals) => {
        const dedupe = (xs: typeof start) => [...new Map(xs.map((x) => [`${x.address}:${x.port}`, x])).values()];
        const base = createEndpointSet(dedupe(start).map((x) => createEndpoint(x)));
        const up = dedupe(upserts).map((x) => createEndpoint(x));
        const remove = removals.map((a) => `${a}:1`);
        const applied = applyEndpointChanges(base, { upsert: up, remove });
        const upIds = new Set(up.map((x) => x.id));
        const expected = createEndpointSet([...base.endpoints.filter((x) => !remove.includes(x.id) && !upIds.has(x.id)), ...up]);
        expect(applied.endpoints).toEqual(expected.endpoints);
        for (const x of expected) expect(applied.get(x.id)).toEqual(x);
        expect(applied.size).toBe(expected.size);
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});

describe('EndpointSet.changesSince', () => {
  it('reports the changes from an ancestor derived by incremental updates, through several steps', () => {
    const a = createEndpointSet([e('10.0.0.1'), e('10.0.0.2')], { revision: '1' });
    const b = applyEndpointChanges(a, { upsert: [e('10.0.0.3')] }, { revision: '2' });
    const c = applyEndpointChanges(b, { remove: ['10.0.0.1:80'], upsert: [e('10.0.0.2', 80, { ready: false })] }, { revision: '3' });
    expect(c.changesSince(b)).toEqual({ upsert: [e('10.0.0.2', 80, { ready: false })], remove: ['10.0.0.1:80'] });
    const fromA = c.changesSince(a)!;
    expect(fromA.upsert.map((x) => x.id).sort()).toEqual(['10.0.0.2:80', '10.0.0.3:80']);
    expect(fromA.remove).toEqual(['10.0.0.1:80']);
    expect(c.changesSince(c)).toEqual({ upsert: [], remove: [] });
  });

  it('is undefined for a set that was not derived from the other', () => {
    const a = createEndpointSet([e('10.0.0.1')]);
    const b = createEndpointSet([e('10.0.0.1'), e('10.0.0.2')]);
    expect(b.changesSince(a)).toBeUndefined();
  });
});

describe('applyEndpointChanges on large sets (chunked storage)', () => {
  it('matches a rebuild through many rounds of inserts, updates and removals that split and empty chunks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        let state = seed;
        const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0), state / 2 ** 32);
        const ep = (n: number, weight = 1) => createEndpoint({ address: `10.${(n >> 8) & 255}.${n & 255}.1`, port: 80, weight });
        let set = createEndpointSet(Array.from({ length: 700 }, (_, i) => ep(i * 2)));
        let model = new Map(set.endpoints.map((x) => [x.id, x]));
        for (let round = 0; round < 25; round++) {
          const upsert = Array.from({ length: Math.floor(next() * 120) }, () => ep(Math.floor(next() * 3000), 1 + Math.floor(next() * 3)));
          const present = [...model.keys()];
          const remove = Array.from({ length: Math.floor(next() * 200) }, () => present[Math.floor(next() * present.length)]!);
          set = applyEndpointChanges(set, { upsert, remove });
          const upIds = new Set(upsert.map((x) => x.id));
          for (const id of remove) if (!upIds.has(id)) model.delete(id);
          for (const x of upsert) model.set(x.id, x);
          model = new Map(model);
          const expected = createEndpointSet(model.values());
          expect(set.size).toBe(expected.size);
          expect(set.endpoints).toEqual(expected.endpoints);
          expect([...set]).toEqual([...expected.endpoints]);
          for (const x of expected) expect(set.get(x.id)).toEqual(model.get(x.id));
        }
      }),
      { numRuns: 8, seed: 7 },
    );
  });
});

describe('applyEndpointChanges, chunk boundaries', () => {
  const ep = (n: number) => createEndpoint({ address: `10.0.${String(n).padStart(5, '0')}`, port: 80 });

  it('empties a whole chunk and splits an overfull one, keeping order and lookups', () => {
    const base = createEndpointSet(Array.from({ length: 1000 }, (_, i) => ep(i * 10)));
    // Remove the first 300 (more than a chunk), then crowd 700 new ones between two old ones.
    const removed = applyEndpointChanges(base, { remove: base.endpoints.slice(0, 300).map((x) => x.id) });
    expect(removed.size).toBe(700);
    const crowded = applyEndpointChanges(removed, { upsert: Array.from({ length: 700 }, (_, i) => createEndpoint({ address: `10.0.05000.${String(i).padStart(3, '0')}`, port: 80 })) });
    const expected = createEndpointSet([...removed.endpoints, ...crowded.endpoints.filter((x) => !removed.has(x.id))]);
    expect(crowded.size).toBe(1400);
    expect(crowded.endpoints).toEqual(expected.endpoints);
    expect(crowded.get('10.0.05000.699:80')?.address).toBe('10.0.05000.699');
    expect(base.size).toBe(1000); // the parent is untouched
    expect(base.endpoints[0]!.id).toBe('10.0.00000:80');
  });
});

describe('applyEndpointChanges, one change at a time', () => {
  it('keeps lookups right through hundreds of single changes (overlay chains folded and rebuilt)', () => {
    const ep = (n: number, ready = true) => createEndpoint({ address: `10.1.${Math.floor(n / 250)}.${n % 250}`, port: 80, ready });
    let set = createEndpointSet(Array.from({ length: 500 }, (_, i) => ep(i)));
    const model = new Map(set.endpoints.map((x) => [x.id, x]));
    for (let step = 0; step < 600; step++) {
      const n = (step * 37) % 700;
      const id = ep(n).id;
      if (step % 3 === 0 && model.has(id)) {
        set = applyEndpointChanges(set, { remove: [id] });
        model.delete(id);
      } else {
        const x = ep(n, step % 2 === 0);
        set = applyEndpointChanges(set, { upsert: [x] });
        model.set(id, x);
      }
      if (step % 50 === 49) {
        for (let k = 0; k < 700; k++) expect(set.get(ep(k).id)).toEqual(model.get(ep(k).id));
        expect(set.size).toBe(model.size);
      }
    }
    expect(set.endpoints).toEqual(createEndpointSet(model.values()).endpoints);
  });
});
