import { seededRandom } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import { createDecay, peakEwma } from './peak-ewma.js';
import { endpoints, idOf, setOf } from './test-fixtures.js';

function call(picker: { pick(): import('@wayfinder/core').PickResult }, latencyOf: (id: string) => number): string {
  const r = picker.pick();
  if (r.type !== 'endpoint') throw new Error('no pick');
  r.onStart();
  r.onEnd({ ok: true, latencyMs: latencyOf(r.endpoint.id) });
  return r.endpoint.id;
}

describe('peakEwma', () => {
  it('tabulates exp(-t/decay) within 0.2% (no Math.exp per pick)', () => {
    const decay = createDecay(10_000);
    for (const t of [0, 1, 50, 999, 5_000, 10_000, 40_000, 79_000]) expect(decay(t)).toBeCloseTo(Math.exp(-t / 10_000), 2);
    expect(decay(1e9)).toBe(0);
  });

  it('sends less than 5% of calls to an endpoint that answers 20× slower', async () => {
    const clock = createFakeClock();
    const picker = peakEwma().create({ clock, random: seededRandom(11) }).build(setOf(endpoints(4)));
    let slow = 0;
    for (let i = 0; i < 2000; i++) {
      if (call(picker, (id) => (id === 'e2' ? 400 : 20)) === 'e2') slow++;
      await clock.advance(5);
    }
    expect(slow / 2000).toBeLessThan(0.05);
  });

  it('retries a slow endpoint after it has been idle long enough for its average to decay', async () => {
    const clock = createFakeClock();
    const picker = peakEwma({ decayMs: 1000 }).create({ clock, random: seededRandom(3) }).build(setOf(endpoints(2)));
    for (let i = 0; i < 50; i++) {
      call(picker, (id) => (id === 'e0' ? 5000 : 10));
      await clock.advance(1);
    }
    const before = Array.from({ length: 20 }, () => idOf(picker.pick()));
    expect(before.every((id) => id === 'e1')).toBe(true);
    await clock.advance(20_000);
    const after = Array.from({ length: 20 }, () => idOf(picker.pick()));
    expect(after).toContain('e0');
  });

  it('prefers the endpoint with fewer calls in flight when latencies are equal', async () => {
    const clock = createFakeClock();
    const picker = peakEwma().create({ clock, random: seededRandom(1) }).build(setOf(endpoints(2)));
    const r = picker.pick();
    if (r.type !== 'endpoint') throw new Error('no pick');
    r.onStart();
    await clock.advance(1);
    for (let i = 0; i < 10; i++) expect(idOf(picker.pick())).not.toBe(r.endpoint.id);
  });

  it('never returns an excluded endpoint while another remains', () => {
    const picker = peakEwma().create({ random: seededRandom(4) }).build(setOf(endpoints(3)));
    for (let i = 0; i < 100; i++) expect(idOf(picker.pick({ exclude: new Set(['e0', 'e2']) }))).toBe('e1');
  });

  it('rejects bad options naming them', () => {
    expect(() => peakEwma({ decayMs: 0 })).toThrow(/"decayMs"/);
    expect(() => peakEwma({ defaultRttMs: -1 })).toThrow(/"defaultRttMs"/);
  });
});
