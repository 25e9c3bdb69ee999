import { type Endpoint, type EndpointSet, type PickResult, applyEndpointChanges, createEndpoint, seededRandom } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import { leastRequest } from './least-request.js';
import { peakEwma } from './peak-ewma.js';
import type { PipelinePolicy } from './pipeline.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

const POLICIES: [string, () => PipelinePolicy][] = [
  ['random', () => random()],
  ['round-robin', () => roundRobin()],
  ['least-request', () => leastRequest()],
  ['peak-ewma', () => peakEwma()],
];

/** Every endpoint a picker returns over many picks, with the panic flag. */
function reach(picker: { pick(): PickResult }, picks = 800): string[] {
  const seen = new Set<string>();
  for (let i = 0; i < picks; i++) {
    const r = picker.pick();
    seen.add(r.type === 'endpoint' ? `${r.endpoint.id}${r.panic ? '!' : ''}` : idOf(r));
  }
  return [...seen].sort();
}

function at(i: number, extra: Partial<Parameters<typeof createEndpoint>[0]> = {}): Endpoint {
  return createEndpoint({ address: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 80, id: `e${i}`, ...extra });
}

describe('incremental builds (EndpointSet.changesSince)', () => {
  for (const [name, policy] of POLICIES) {
    it(`${name}: a picker built from a derived set picks exactly what a fresh build picks, through 150 random changes`, () => {
      const rnd = seededRandom(42);
      const balancer = policy().create({ random: seededRandom(1), clock: createFakeClock() });
      let set: EndpointSet = setOf(endpoints(24));
      let next = 24;
      balancer.build(set);
      for (let step = 0; step < 150; step++) {
        const ids = set.endpoints.map((e) => e.id);
        const roll = rnd();
        const changes: { upsert?: Endpoint[]; remove?: string[] } = {};
        const pick = () => Number(ids[(rnd() * ids.length) | 0]!.slice(1));
        if (roll < 0.25 && ids.length > 1) changes.remove = [`e${pick()}`];
        else if (roll < 0.45) changes.upsert = [at(next++)];
        else if (roll < 0.75) changes.upsert = [at(pick(), { ready: rnd() < 0.6 })];
        else if (roll < 0.85) changes.upsert = [at(pick(), { priority: rnd() < 0.8 ? 0 : 1 })];
        else if (roll < 0.93) changes.upsert = [at(pick(), { weight: rnd() < 0.8 ? 1 : 0 })];
        else changes.upsert = [at(pick(), { ready: false, serving: rnd() < 0.5, terminating: true })];
        set = applyEndpointChanges(set, changes, { revision: String(step) });
        const patched = balancer.build(set);
        const fresh = policy().create({ random: seededRandom(step) }).build(set);
        expect(reach(patched), `step ${step}`).toEqual(reach(fresh));
      }
    });

    it(`${name}: pickers handed out earlier keep picking from their own snapshot`, () => {
      const balancer = policy().create({ random: seededRandom(3) });
      const set = setOf(endpoints(6));
      const first = balancer.build(set);
      const second = balancer.build(applyEndpointChanges(set, { remove: ['e2'], upsert: [at(9)] }));
      expect(reach(first)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
      expect(reach(second)).toEqual(['e0', 'e1', 'e3', 'e4', 'e5', 'e9']);
    });
  }

  it('keeps in-flight counts through incremental updates (least request avoids the busy endpoint)', () => {
    const balancer = leastRequest().create({ random: seededRandom(2) });
    const set = setOf(endpoints(2));
    const r = balancer.build(set).pick();
    if (r.type !== 'endpoint') throw new Error('no pick');
    r.onStart();
    r.onStart();
    const next = balancer.build(applyEndpointChanges(set, { upsert: [at(7)] }));
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const id = idOf(next.pick());
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.get(r.endpoint.id) ?? 0).toBe(0);
  });

  it('weighted random keeps exact weight shares through incremental updates (±1.5 points over 60 000 picks)', () => {
    const balancer = random().create({ random: seededRandom(8) });
    let set = setOf(endpoints(4, (i) => ({ weight: i + 1 })));
    balancer.build(set);
    set = applyEndpointChanges(set, { remove: ['e3'], upsert: [at(9, { weight: 6 })] });
    const picker = balancer.build(set);
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const id = idOf(picker.pick());
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const weights: Record<string, number> = { e0: 1, e1: 2, e2: 3, e9: 6 };
    for (const [id, w] of Object.entries(weights)) expect(Math.abs((counts.get(id) ?? 0) / n - w / 12)).toBeLessThan(0.015);
    expect(counts.has('e3')).toBe(false);
  });

  it('weighted round robin keeps exact shares through incremental updates (±0.5 points)', () => {
    const balancer = roundRobin().create();
    let set = setOf(endpoints(4, (i) => ({ weight: [4, 2, 1, 1][i] })));
    balancer.build(set);
    set = applyEndpointChanges(set, { remove: ['e3'], upsert: [at(9, { weight: 2 })] });
    const picker = balancer.build(set);
    const counts = new Map<string, number>();
    const n = 90_000;
    for (let i = 0; i < n; i++) {
      const id = idOf(picker.pick());
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const weights: Record<string, number> = { e0: 4, e1: 2, e2: 1, e9: 2 };
    for (const [id, w] of Object.entries(weights)) expect(Math.abs((counts.get(id) ?? 0) / n - w / 9)).toBeLessThan(0.005);
    expect(counts.has('e3')).toBe(false);
  });

  it('falls back to a full rebuild when a change flips the panic state or the priority group', () => {
    const balancer = random().create({ random: seededRandom(5) });
    let set = setOf(endpoints(4));
    balancer.build(set);
    set = applyEndpointChanges(set, { upsert: [at(0, { ready: false, serving: true, terminating: true }), at(1, { ready: false, serving: true, terminating: true })] });
    expect(reach(balancer.build(set))).toEqual(['e2', 'e3']);
    set = applyEndpointChanges(set, { upsert: [at(2, { ready: false, serving: true, terminating: true })] });
    expect(reach(balancer.build(set))).toEqual(['e0!', 'e1!', 'e2!', 'e3!']);
    const failover = random().create({ random: seededRandom(5) });
    let grouped = setOf(endpoints(4, (i) => ({ priority: i < 2 ? 0 : 1 })));
    failover.build(grouped);
    grouped = applyEndpointChanges(grouped, { upsert: [at(0, { ready: false, serving: false }), at(1, { ready: false, serving: false })] });
    expect(reach(failover.build(grouped))).toEqual(['e2', 'e3']);
  });
});
