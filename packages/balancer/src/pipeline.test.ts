import { type EndpointInput, type PickResult, seededRandom } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import { withOutlierDetection, withPanicThreshold, withPriority, withReadiness, withTopology } from './decorators.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

const ids = (picker: { pick(): PickResult }, n = 200) => new Set(Array.from({ length: n }, () => idOf(picker.pick())));
const build = (list: (i: number) => Partial<EndpointInput>, count: number, policy = random()) =>
  policy.create({ random: seededRandom(1), clock: createFakeClock() }).build(setOf(endpoints(count, list)));

describe('readiness filter', () => {
  it('uses only ready endpoints', () => {
    expect(ids(build((i) => ({ ready: i !== 1 }), 3))).toEqual(new Set(['e0', 'e2']));
  });

  it('falls back to serving-but-terminating endpoints when none is ready', () => {
    expect(ids(build((i) => (i === 0 ? { ready: false, serving: false } : { terminating: true, serving: true }), 3))).toEqual(new Set(['e1', 'e2']));
  });

  it('is unavailable with reason none-ready when nothing serves', () => {
    const r = build(() => ({ ready: false, serving: false }), 2).pick();
    expect(r.type === 'unavailable' && r.error.reason).toBe('none-ready');
    expect(r.type === 'unavailable' && r.error.code).toBe('WF_ERR_NO_ENDPOINTS');
  });

  it('is unavailable with reason empty for an empty set', () => {
    expect(idOf(random().create().build(setOf([])).pick())).toBe('!empty');
  });

  it('can be turned off', () => {
    expect(ids(build(() => ({ ready: false, serving: false }), 2, withReadiness(random(), false)))).toEqual(new Set(['e0', 'e1']));
  });
});

describe('priority filter', () => {
  it('uses the lowest priority group with a healthy endpoint, failing over when it has none', () => {
    expect(ids(build((i) => ({ priority: i < 2 ? 0 : 1 }), 4))).toEqual(new Set(['e0', 'e1']));
    expect(ids(build((i) => ({ priority: i < 2 ? 0 : 1, ready: i >= 2, serving: i >= 2 }), 4))).toEqual(new Set(['e2', 'e3']));
  });

  it('can be turned off', () => {
    expect(ids(build((i) => ({ priority: i }), 3, withPriority(random(), false)))).toEqual(new Set(['e0', 'e1', 'e2']));
  });
});

describe('weights', () => {
  it('uses weight-0 endpoints only when nothing else is left', () => {
    expect(ids(build((i) => ({ weight: i === 0 ? 0 : 1 }), 3))).toEqual(new Set(['e1', 'e2']));
    expect(ids(build(() => ({ weight: 0 }), 2))).toEqual(new Set(['e0', 'e1']));
  });
});

describe('panic threshold', () => {
  it('balances over every serving endpoint and says panic when fewer than 50% are healthy', () => {
    const picker = build((i) => ({ ready: i === 0, serving: i < 3, terminating: i > 0 && i < 3 }), 4);
    const r = picker.pick();
    expect(r.type === 'endpoint' && r.panic).toBe(true);
    expect(ids(picker)).toEqual(new Set(['e0', 'e1', 'e2']));
  });

  it('does not panic at or above the threshold, and can be turned off', () => {
    const r = build((i) => ({ ready: i < 2 }), 4).pick();
    expect(r.type === 'endpoint' && r.panic).toBe(false);
    const off = build((i) => ({ ready: i === 0, serving: i < 3, terminating: i > 0 && i < 3 }), 4, withPanicThreshold(random(), { thresholdPercent: 0 }));
    expect(ids(off)).toEqual(new Set(['e0']));
  });
});

describe('topology filter', () => {
  const zones = (i: number) => ({ zone: i < 2 ? 'a' : 'b', node: `n${i}` });

  it('prefers the caller zone', () => {
    expect(ids(build(zones, 4, withTopology(random(), { zone: 'b' })))).toEqual(new Set(['e2', 'e3']));
  });

  it('falls back to all zones when the local zone has too few ready endpoints', () => {
    expect(ids(build((i) => ({ ...zones(i), ready: i !== 2 }), 4, withTopology(random(), { zone: 'b', minLocal: 2 })))).toEqual(new Set(['e0', 'e1', 'e3']));
    expect(ids(build(zones, 4, withTopology(random(), { zone: 'c' })))).toEqual(new Set(['e0', 'e1', 'e2', 'e3']));
  });

  it('follows hints.forZones when every endpoint has them', () => {
    const hinted = (i: number) => ({ ...zones(i), hints: { forZones: [i === 0 ? 'b' : 'a'] } });
    expect(ids(build(hinted, 4, withTopology(random(), { zone: 'b' })))).toEqual(new Set(['e0']));
  });

  it('prefers the node, then the zone, then all (prefer-node)', () => {
    expect(ids(build(zones, 4, withTopology(random(), { mode: 'prefer-node', node: 'n3', zone: 'b' })))).toEqual(new Set(['e3']));
    expect(ids(build(zones, 4, withTopology(random(), { mode: 'prefer-node', node: 'n9', zone: 'b' })))).toEqual(new Set(['e2', 'e3']));
    expect(ids(build(zones, 4, withTopology(random(), { mode: 'prefer-node', node: 'n9' })))).toEqual(new Set(['e0', 'e1', 'e2', 'e3']));
  });

  it('is unavailable with none-local in node-local mode when the node has no endpoint', () => {
    expect(ids(build(zones, 4, withTopology(random(), { mode: 'node-local', node: 'n1' })))).toEqual(new Set(['e1']));
    expect(idOf(build(zones, 4, withTopology(random(), { mode: 'node-local', node: 'n9' })).pick())).toBe('!none-local');
  });

  it('rejects missing zone or node naming the option', () => {
    expect(() => withTopology(random(), { mode: 'prefer-zone' })).toThrow(/"topology.zone"/);
    expect(() => withTopology(random(), { mode: 'node-local' })).toThrow(/"topology.node"/);
  });
});

describe('outlier detection', () => {
  function fail(r: PickResult, status = 503): void {
    if (r.type !== 'endpoint') throw new Error('no pick');
    r.onStart();
    r.onEnd({ ok: false, status, latencyMs: 1 });
  }

  it('ejects after 5 consecutive failures for 30 s, then the endpoint returns', async () => {
    const clock = createFakeClock();
    const ejected: [string, number][] = [];
    const picker = withOutlierDetection(roundRobin(), { onEject: (e, ms) => ejected.push([e.id, ms]) }).create({ clock }).build(setOf(endpoints(10)));
    for (let i = 0; i < 4; i++) fail(picker.pick({ exclude: new Set(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']) }));
    expect(ejected).toEqual([]);
    fail(picker.pick({ exclude: new Set(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']) }));
    expect(ejected).toEqual([['e0', 30_000]]);
    expect(ids(picker).has('e0')).toBe(false);
    await clock.advance(30_000);
    expect(ids(picker).has('e0')).toBe(true);
  });

  it('grows the ejection time with each ejection, capped at maxEjectionTimeMs', async () => {
    const clock = createFakeClock();
    const times: number[] = [];
    const policy = withOutlierDetection(random(), { consecutiveFailures: 1, baseEjectionTimeMs: 100, maxEjectionTimeMs: 250, onEject: (_, ms) => times.push(ms) });
    const picker = policy.create({ clock, random: seededRandom(1) }).build(setOf(endpoints(10)));
    const only = new Set(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    for (let k = 0; k < 3; k++) {
      fail(picker.pick({ exclude: only }));
      await clock.advance(300);
    }
    expect(times).toEqual([100, 200, 250]);
  });

  it('a success resets the count; local failures and 4xx never count', () => {
    const clock = createFakeClock();
    const ejected: string[] = [];
    const picker = withOutlierDetection(random(), { consecutiveFailures: 2, onEject: (e) => ejected.push(e.id) }).create({ clock }).build(setOf(endpoints(1)));
    const r = picker.pick();
    if (r.type !== 'endpoint') throw new Error('no pick');
    r.onEnd({ ok: false, status: 500, latencyMs: 1 });
    r.onEnd({ ok: true, status: 200, latencyMs: 1 });
    r.onEnd({ ok: false, status: 502, latencyMs: 1 });
    r.onEnd({ ok: false, failure: 'local', latencyMs: 1 });
    r.onEnd({ ok: false, status: 404, latencyMs: 1 });
    expect(ejected).toEqual([]);
    r.onEnd({ ok: false, error: new Error('ECONNREFUSED'), latencyMs: 1 });
    expect(ejected).toEqual(['e0']);
  });

  it('ejects at most 10% of the set but always allows one', () => {
    const clock = createFakeClock();
    const ejected: string[] = [];
    const picker = withOutlierDetection(random(), { consecutiveFailures: 1, onEject: (e) => ejected.push(e.id) })
      .create({ clock, random: seededRandom(2) })
      .build(setOf(endpoints(5)));
    for (let i = 0; i < 20; i++) fail(picker.pick());
    expect(ejected.length).toBe(1);
  });

  it('panics over ejected endpoints when too many are ejected (maxEjectionPercent 100)', () => {
    const clock = createFakeClock();
    const picker = withOutlierDetection(random(), { consecutiveFailures: 1, maxEjectionPercent: 100 })
      .create({ clock, random: seededRandom(2) })
      .build(setOf(endpoints(3)));
    fail(picker.pick({ exclude: new Set(['e1', 'e2']) }));
    fail(picker.pick({ exclude: new Set(['e0', 'e2']) }));
    const r = picker.pick();
    expect(ids(picker)).toEqual(new Set(['e0', 'e1', 'e2']));
    expect(r.type === 'endpoint' && r.panic).toBe(true);
  });

  it('is unavailable with all-ejected when every endpoint is ejected and panic is off', () => {
    const clock = createFakeClock();
    const policy = withPanicThreshold(withOutlierDetection(random(), { consecutiveFailures: 1, maxEjectionPercent: 100 }), { thresholdPercent: 0 });
    const picker = policy.create({ clock }).build(setOf(endpoints(1)));
    fail(picker.pick());
    expect(idOf(picker.pick())).toBe('!all-ejected');
  });

  it('fails over to the next priority group when the first is ejected', () => {
    const clock = createFakeClock();
    const picker = withOutlierDetection(random(), { consecutiveFailures: 1, maxEjectionPercent: 100 })
      .create({ clock })
      .build(setOf(endpoints(3, (i) => ({ priority: i === 0 ? 0 : 1 }))));
    fail(picker.pick());
    expect(ids(picker)).toEqual(new Set(['e1', 'e2']));
  });

  it('rejects bad options naming them', () => {
    expect(() => withOutlierDetection(random(), { consecutiveFailures: 0 })).toThrow(/consecutiveFailures/);
    expect(() => withOutlierDetection(random(), { maxEjectionPercent: 101 })).toThrow(/maxEjectionPercent/);
    expect(() => withOutlierDetection({ name: 'x', create: () => ({ build: () => ({ pick: () => ({}) as PickResult }) }) })).toThrow(/"policy"/);
  });
});
