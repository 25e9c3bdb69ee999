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
