import { applyEndpointChanges, createEndpoint, seededRandom } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import { consistentHash } from './consistent-hash.js';
import { withOutlierDetection } from './decorators.js';
import { sticky } from './sticky.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

describe('sticky', () => {
  it("binds a key first where the consistent hash sends it, so replicas agree without talking", () => {
    const set = setOf(endpoints(8));
    const a = sticky().create().build(set);
    const hash = consistentHash().create().build(set);
    for (let i = 0; i < 100; i++) expect(idOf(a.pick({ affinityKey: `c${i}` }))).toBe(idOf(hash.pick({ affinityKey: `c${i}` })));
  });

  it('holds a binding through a membership change that would move the hashed key', () => {
    const balancer = sticky().create();
    const list = endpoints(3);
    const first = balancer.build(setOf(list));
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    const bound = new Map(keys.map((k) => [k, idOf(first.pick({ affinityKey: k }))]));
    const grown = [...list, ...endpoints(10).slice(3)];
    const next = balancer.build(setOf(grown, '2'));
    for (const k of keys) expect(idOf(next.pick({ affinityKey: k }))).toBe(bound.get(k));
    const hashed = consistentHash().create().build(setOf(grown));
    expect(keys.some((k) => idOf(hashed.pick({ affinityKey: k })) !== bound.get(k))).toBe(true);
  });

  it('rebinds a key whose endpoint left and calls onRebind(key, from, to)', () => {
    const calls: [string, string, string][] = [];
    const balancer = sticky({ onRebind: (key, from, to) => calls.push([key, from.id, to.id]) }).create();
    const set = setOf(endpoints(3));
    const home = idOf(balancer.build(set).pick({ affinityKey: 'tenant' }));
    const next = balancer.build(applyEndpointChanges(set, { remove: [home] }));
    const moved = idOf(next.pick({ affinityKey: 'tenant' }));
    expect(moved).not.toBe(home);
    expect(calls).toEqual([['tenant', home, moved]]);
    expect(idOf(next.pick({ affinityKey: 'tenant' }))).toBe(moved);
  });

  it('does not let a binding follow a newcomer that took over the departed endpoint\'s state slot', () => {
    const calls: [string, string, string][] = [];
    const balancer = sticky({ onRebind: (key, from, to) => calls.push([key, from.id, to.id]) }).create();
    const set = setOf(endpoints(3));
    const home = idOf(balancer.build(set).pick({ affinityKey: 'tenant' }));
    const without = applyEndpointChanges(set, { remove: [home] });
    balancer.build(without);
    const newcomer = createEndpoint({ address: '10.0.0.99', port: 80, id: 'e99' });
    const next = balancer.build(applyEndpointChanges(without, { upsert: [newcomer] }));
    const moved = idOf(next.pick({ affinityKey: 'tenant' }));
    expect(calls).toEqual([['tenant', home, moved]]);
  });

  it('keeps existing keys on a serving-but-terminating endpoint but gives it no new ones', () => {
    const balancer = sticky().create();
    const list = endpoints(3);
    const set = setOf(list);
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    const first = balancer.build(set);
    const bound = new Map(keys.map((k) => [k, idOf(first.pick({ affinityKey: k }))]));
    const draining = createEndpoint({ address: list[0]!.address, port: 80, id: 'e0', terminating: true, serving: true });
    const next = balancer.build(applyEndpointChanges(set, { upsert: [draining] }));
    for (const k of keys) expect(idOf(next.pick({ affinityKey: k }))).toBe(bound.get(k));
    for (let i = 0; i < 200; i++) expect(idOf(next.pick({ affinityKey: `new-${i}` }))).not.toBe('e0');
    const stopped = createEndpoint({ address: list[0]!.address, port: 80, id: 'e0', terminating: true, serving: false });
    const last = balancer.build(applyEndpointChanges(set, { upsert: [stopped] }));
    for (const k of keys) expect(idOf(last.pick({ affinityKey: k }))).not.toBe('e0');
  });

  it('forgets a binding idle for longer than idleTimeoutMs (no onRebind)', async () => {
    const clock = createFakeClock();
    const rebinds: string[] = [];
    const balancer = sticky({ idleTimeoutMs: 1000, onRebind: (k) => rebinds.push(k) }).create({ clock });
    const list = endpoints(4);
    const first = balancer.build(setOf(list.slice(0, 2)));
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
    for (const k of keys) first.pick({ affinityKey: k });
    await clock.advance(1001);
    const grown = balancer.build(setOf(list));
    const hashed = consistentHash().create().build(setOf(list));
    for (const k of keys) expect(idOf(grown.pick({ affinityKey: k }))).toBe(idOf(hashed.pick({ affinityKey: k })));
    expect(rebinds).toEqual([]);
  });

  it('drops the least recently used binding beyond maxEntries', () => {
    const list = endpoints(10);
    const small = setOf(list.slice(0, 2));
    const big = setOf(list);
    const oldHome = consistentHash().create().build(small);
    const newHome = consistentHash().create().build(big);
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find(
      (k) => idOf(oldHome.pick({ affinityKey: k })) !== idOf(newHome.pick({ affinityKey: k })),
    )!;
    const bounded = sticky({ maxEntries: 1 }).create();
    bounded.build(small).pick({ affinityKey: key });
    bounded.build(small).pick({ affinityKey: 'other' });
    expect(idOf(bounded.build(big).pick({ affinityKey: key }))).toBe(idOf(newHome.pick({ affinityKey: key })));
    const roomy = sticky({ maxEntries: 2 }).create();
    roomy.build(small).pick({ affinityKey: key });
    roomy.build(small).pick({ affinityKey: 'other' });
    expect(idOf(roomy.build(big).pick({ affinityKey: key }))).toBe(idOf(oldHome.pick({ affinityKey: key })));
  });

  it('rebinds a key whose endpoint is ejected by outlier detection', () => {
    const balancer = withOutlierDetection(sticky(), { consecutiveFailures: 1, maxEjectionPercent: 100 }).create({ clock: createFakeClock() });
    const set = setOf(endpoints(3));
    const picker = balancer.build(set);
    const r = picker.pick({ affinityKey: 'a' });
    if (r.type !== 'endpoint') throw new Error('no pick');
    r.onStart();
    r.onEnd({ ok: false, status: 503, latencyMs: 1 });
    expect(idOf(picker.pick({ affinityKey: 'a' }))).not.toBe(r.endpoint.id);
  });

  it('avoids an excluded bound endpoint for that call without moving the binding', () => {
    const picker = sticky().create({ random: seededRandom(1) }).build(setOf(endpoints(4)));
    const home = idOf(picker.pick({ affinityKey: 'x' }));
    expect(idOf(picker.pick({ affinityKey: 'x', exclude: new Set([home]) }))).not.toBe(home);
    expect(idOf(picker.pick({ affinityKey: 'x' }))).toBe(home);
  });
});

