import { describe, expect, it } from 'vitest';
import { createEndpoint } from '../endpoint.js';
import { createEndpointSet } from '../endpoint-set.js';
import { seededRandom } from '../random.js';
import { randomReady } from './random-ready.js';

const set = (...inputs: Parameters<typeof createEndpoint>[0][]) => createEndpointSet(inputs.map(createEndpoint));

describe('randomReady', () => {
  it('spreads picks uniformly over ready endpoints (seeded, within 10%)', () => {
    const picker = randomReady().create({ random: seededRandom(7) }).build(set({ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }, { address: '10.0.0.3', port: 80 }));
    const counts = new Map<string, number>();
    for (let i = 0; i < 30_000; i++) {
      const r = picker.pick();
      if (r.type === 'endpoint') counts.set(r.endpoint.id, (counts.get(r.endpoint.id) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(Math.abs(n - 10_000)).toBeLessThan(1000);
  });

  it('avoids excluded endpoints while others remain, and picks anyway when all are excluded', () => {
    const picker = randomReady().create({ random: seededRandom(1) }).build(set({ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 80 }));
    for (let i = 0; i < 50; i++) {
      const r = picker.pick({ exclude: new Set(['10.0.0.1:80']) });
      expect(r.type === 'endpoint' && r.endpoint.id).toBe('10.0.0.2:80');
    }
    const all = picker.pick({ exclude: new Set(['10.0.0.1:80', '10.0.0.2:80']) });
    expect(all.type).toBe('endpoint');
  });

  it('falls back to serving terminating endpoints when none is ready', () => {
    const picker = randomReady().create().build(set({ address: '10.0.0.1', port: 80, terminating: true }, { address: '10.0.0.2', port: 80, terminating: true, serving: false }));
    for (let i = 0; i < 20; i++) {
      const r = picker.pick();
      expect(r.type === 'endpoint' && r.endpoint.id).toBe('10.0.0.1:80');
    }
  });

  it('reports why nothing can be picked', () => {
    const empty = randomReady().create().build(set()).pick();
    expect(empty.type === 'unavailable' && empty.error.reason).toBe('empty');
    const none = randomReady().create().build(set({ address: '10.0.0.1', port: 80, ready: false, serving: false })).pick();
    expect(none.type === 'unavailable' && none.error.reason).toBe('none-ready');
  });
});
