import { applyEndpointChanges, createEndpoint, seededRandom } from '@wayfinder/core';
import { describe, expect, it } from 'vitest';
import { roundRobin } from './round-robin.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

describe('roundRobin', () => {
  it('rotates through equal-weight endpoints in snapshot order', () => {
    const picker = roundRobin().create().build(setOf(endpoints(3)));
    expect(Array.from({ length: 7 }, () => idOf(picker.pick()))).toEqual(['e0', 'e1', 'e2', 'e0', 'e1', 'e2', 'e0']);
  });

  it('interleaves unequal weights 4:2:1 in this exact sequence (stride scheduler)', () => {
    const picker = roundRobin().create().build(setOf(endpoints(3, (i) => ({ weight: [4, 2, 1][i] }))));
    const seq = Array.from({ length: 14 }, () => idOf(picker.pick()));
    expect(seq).toEqual(['e0', 'e1', 'e2', 'e0', 'e0', 'e1', 'e0', 'e2', 'e0', 'e1', 'e0', 'e0', 'e1', 'e0']);
  });

  it('gives unequal weights their exact share over many picks (±0.5 points)', () => {
    const picker = roundRobin().create().build(setOf(endpoints(3, (i) => ({ weight: [4, 2, 1][i] }))));
    const counts: Record<string, number> = {};
    const n = 70_000;
    for (let i = 0; i < n; i++) {
      const id = idOf(picker.pick());
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(Math.abs(counts.e0! / n - 4 / 7)).toBeLessThan(0.005);
    expect(Math.abs(counts.e1! / n - 2 / 7)).toBeLessThan(0.005);
    expect(Math.abs(counts.e2! / n - 1 / 7)).toBeLessThan(0.005);
  });

  it('continues after the last endpoint picked when a new snapshot arrives', () => {
    const balancer = roundRobin().create();
    const set = setOf(endpoints(4));
    const first = balancer.build(set);
    expect([idOf(first.pick()), idOf(first.pick())]).toEqual(['e0', 'e1']);
    const next = balancer.build(applyEndpointChanges(set, { remove: ['e2'] }));
    expect([idOf(next.pick()), idOf(next.pick()), idOf(next.pick())]).toEqual(['e3', 'e0', 'e1']);
    const added = createEndpoint({ address: '10.0.0.9', port: 80, id: 'e9' });
    const third = balancer.build(applyEndpointChanges(set, { upsert: [added] }));
    expect([idOf(third.pick()), idOf(third.pick())]).toEqual(['e2', 'e3']);
  });

  it('skips excluded endpoints without losing its place', () => {
    const picker = roundRobin().create({ random: seededRandom(1) }).build(setOf(endpoints(3)));
    expect(idOf(picker.pick({ exclude: new Set(['e0']) }))).toBe('e1');
    expect(idOf(picker.pick())).toBe('e2');
    const weighted = roundRobin().create().build(setOf(endpoints(3, (i) => ({ weight: i + 1 }))));
    for (let i = 0; i < 50; i++) expect(idOf(weighted.pick({ exclude: new Set(['e2', 'e1']) }))).toBe('e0');
  });
});
