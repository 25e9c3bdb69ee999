import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import { createRegistryStore, RegistryLimitError } from './store.js';

describe('createRegistryStore', () => {
  it('answers a service nobody registered with no endpoints at counter 0', () => {
    const store = createRegistryStore({ epoch: 'e1' });
    expect(store.snapshot('nobody')).toEqual({ service: 'nobody', revision: 'e1-0', endpoints: [] });
  });

  it('expires an endpoint not renewed within its TTL, on the injected clock', async () => {
    const clock = createFakeClock();
    const store = createRegistryStore({ clock, epoch: 'e1' });
    store.put('s', 'a', { address: '10.0.0.1', port: 80 }, 10);
    await clock.advance(6000);
    store.put('s', 'a', { address: '10.0.0.1', port: 80 }, 10); // renewal
    await clock.advance(6000);
    expect(store.snapshot('s').endpoints).toHaveLength(1);
    await clock.advance(4001);
    expect(store.snapshot('s').endpoints).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives each change a new revision but keeps it for a renewal that changes nothing', () => {
    const store = createRegistryStore({ epoch: 'e1', clock: createFakeClock() });
    const first = store.put('s', 'a', { address: '10.0.0.1', port: 80 }, 10);
    const renewal = store.put('s', 'a', { address: '10.0.0.1', port: 80 }, 10);
    const draining = store.put('s', 'a', { address: '10.0.0.1', port: 80, terminating: true }, 10);
    expect(first.created).toBe(true);
    expect(renewal).toMatchObject({ created: false, revision: first.revision });
    expect(draining.revision).not.toBe(first.revision);
    expect(store.snapshot('s').endpoints[0]).toMatchObject({ terminating: true, ready: false });
  });

  it('notifies subscribers with whole snapshots on put, delete and expiry', async () => {
    const clock = createFakeClock();
    const store = createRegistryStore({ clock, epoch: 'e1' });
    const seen: number[] = [];
    store.subscribe('s', (snap) => seen.push(snap.endpoints.length));
    store.put('s', 'a', { address: '10.0.0.1', port: 80 }, 1);
    store.put('s', 'b', { address: '10.0.0.2', port: 80 }, 5);
    store.delete('s', 'b');
    await clock.advance(1000);
    expect(seen).toEqual([1, 2, 1, 0]);
  });

  it('uses a new random epoch per store so revisions never repeat across restarts', () => {
    const a = createRegistryStore();
    const b = createRegistryStore();
    expect(a.epoch).toMatch(/^[a-z0-9]{12}$/);
    expect(a.epoch).not.toBe(b.epoch);
    expect(a.snapshot('s').revision).not.toBe(b.snapshot('s').revision);
  });

  it('refuses a new endpoint beyond the per-service limit', () => {
    const store = createRegistryStore({ maxEndpointsPerService: 1, clock: createFakeClock() });
    store.put('s', 'a', { address: '10.0.0.1', port: 80 }, 10);
    expect(() => store.put('s', 'b', { address: '10.0.0.2', port: 80 }, 10)).toThrow(RegistryLimitError);
  });
});
