import { type Endpoint, createEndpoint, createEndpointSet, seededRandom } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_NAMES, policyByName } from './by-name.js';
import { withTopology } from './decorators.js';

const endpointArb = fc.record({
  weight: fc.constantFrom(0, 1, 1, 2, 5),
  priority: fc.constantFrom(0, 0, 1),
  ready: fc.boolean(),
  serving: fc.boolean(),
  terminating: fc.boolean(),
  zone: fc.constantFrom('a', 'b'),
  node: fc.constantFrom('n1', 'n2', 'n3'),
});

const setArb = fc.array(endpointArb, { minLength: 0, maxLength: 12 }).map((list) =>
  createEndpointSet(list.map((e, i) => createEndpoint({ address: `10.0.0.${i + 1}`, port: 80, id: `e${i}`, ...e }))),
);

/** What the default filters may return: serving endpoints (ready ones when any is ready, unless panic). */
function allowed(e: Endpoint, set: readonly Endpoint[], panic: boolean): boolean {
  if (!e.serving && !e.ready) return false;
  if (panic || e.ready) return true;
  return !set.some((o) => o.ready) || (e.serving && e.terminating);
}

describe('every policy', () => {
  for (const name of POLICY_NAMES) {
    it(`${name}: a pick never returns an endpoint outside the set or not allowed by the filters`, () => {
      fc.assert(
        fc.property(setArb, fc.option(fc.string(), { nil: undefined }), fc.integer(), (set, key, seed) => {
          const picker = policyByName(name).create({ random: seededRandom(seed), clock: createFakeClock() }).build(set);
          for (let i = 0; i < 5; i++) {
            const r = picker.pick({ affinityKey: key });
            if (r.type === 'unavailable') {
              expect(set.endpoints.some((e) => e.serving)).toBe(false);
              continue;
            }
            expect(set.get(r.endpoint.id)).toBe(r.endpoint);
            expect(allowed(r.endpoint, set.endpoints, r.panic)).toBe(true);
          }
        }),
        { numRuns: 150 },
      );
    });

    it(`${name}: never returns an excluded endpoint while a candidate that is not excluded remains`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 2, max: 20 }), fc.array(fc.nat(), { maxLength: 19 }), fc.string(), fc.integer(), (n, drop, key, seed) => {
          const set = createEndpointSet(Array.from({ length: n }, (_, i) => createEndpoint({ address: `10.0.1.${i + 1}`, port: 80, id: `e${i}`, weight: 1 + (i % 3) })));
          const exclude = new Set(drop.map((d) => `e${d % n}`));
          if (exclude.size === n) return;
          const picker = policyByName(name).create({ random: seededRandom(seed) }).build(set);
          for (let i = 0; i < 5; i++) {
            const r = picker.pick({ affinityKey: i % 2 ? key : undefined, exclude });
            expect(r.type === 'endpoint' && !exclude.has(r.endpoint.id)).toBe(true);
          }
        }),
        { numRuns: 100 },
      );
    });
  }

  it('topology node-local never leaves the node', () => {
    fc.assert(
      fc.property(setArb, (set) => {
        const picker = withTopology(policyByName('random'), { mode: 'node-local', node: 'n2' }).create().build(set);
        const r = picker.pick();
        if (r.type === 'endpoint') expect(r.endpoint.node).toBe('n2');
      }),
      { numRuns: 200 },
    );
  });
});
