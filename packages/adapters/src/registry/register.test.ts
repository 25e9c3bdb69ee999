import { InvalidOptionError } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { describe, expect, it } from 'vitest';
import type { RegistrationEvent } from '../registration.js';
import { routeRegistryRequest } from './protocol.js';
import { registerHttp } from './register.js';
import { createRegistryStore } from './store.js';

/** A fetch that answers from an in-memory store (or fails while `down`), with no network. */
function fakeRegistry() {
  const clock = createFakeClock();
  const state = { store: createRegistryStore({ clock, epoch: 'e1' }), down: false, requests: [] as string[] };
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    state.requests.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    if (state.down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const headers = new Headers(init?.headers);
    const route = routeRegistryRequest(state.store, { method: init?.method ?? 'GET', path: url.pathname, header: (n) => headers.get(n), body: init?.body as string });
    if (route.kind !== 'response') throw new Error('unexpected watch');
    return new Response(route.response.body ?? null, { status: route.response.status, headers: route.response.headers });
  };
  return { clock, state, fetchImpl };
}

describe('registerHttp', () => {
  it('registers, renews at a third of the TTL, and re-registers after the registry lost it', async () => {
    const { clock, state, fetchImpl } = fakeRegistry();
    const events: RegistrationEvent[] = [];
    const r = registerHttp({ registry: 'http://reg.test', service: 'planner', endpoint: { address: '10.0.0.1', port: 80 }, ttlSeconds: 3, clock, fetch: fetchImpl });
    r.subscribe((e) => events.push(e));
    await r.ready();
    expect(state.store.snapshot('planner').endpoints).toHaveLength(1);
    await clock.advance(1000);
    expect(events).toEqual([
      { type: 'registered', created: true },
      { type: 'registered', created: false },
    ]);
    expect(state.requests.filter((q) => q.startsWith('PUT'))).toHaveLength(2);
    state.store = createRegistryStore({ clock, epoch: 'e2' }); // a restarted registry knows nothing
    await clock.advance(1000);
    expect(events.at(-1)).toEqual({ type: 'registered', created: true });
    expect(state.store.snapshot('planner').endpoints).toHaveLength(1);
    await r.close({ drainMs: 0 });
  });

  it('retries with backoff while the registry is down and reports errors', async () => {
    const { clock, state, fetchImpl } = fakeRegistry();
    state.down = true;
    const r = registerHttp({ registry: 'http://reg.test', service: 'planner', endpoint: { address: '10.0.0.1', port: 80 }, ttlSeconds: 3, clock, fetch: fetchImpl, random: () => 0.5 });
    await clock.advance(2000);
    expect(r.state).toBe('retrying');
    expect(r.lastError?.code).toBe('WF_ERR_REGISTRATION');
    state.down = false;
    await clock.advance(1000);
    expect(r.state).toBe('registered');
    expect(r.lastError).toBeNull();
    await r.close({ drainMs: 0 });
  });

  it('on close marks itself terminating, waits the drain period, then deregisters', async () => {
    const { clock, state, fetchImpl } = fakeRegistry();
    const r = registerHttp({ registry: 'registry+http://reg.test', service: 'planner', endpoint: { address: '10.0.0.1', port: 80 }, ttlSeconds: 30, drainMs: 5000, clock, fetch: fetchImpl });
    await r.ready();
    const closed = r.close();
    await clock.advance(10);
    expect(r.state).toBe('draining');
    expect(state.store.snapshot('planner').endpoints[0]).toMatchObject({ terminating: true, ready: false });
    await clock.advance(4000);
    expect(state.store.snapshot('planner').endpoints).toHaveLength(1);
    await clock.advance(1000);
    await closed;
    expect(r.state).toBe('closed');
    expect(state.store.snapshot('planner').endpoints).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails at construction on bad options, naming them', () => {
    const base = { registry: 'http://reg.test', service: 'planner', endpoint: { address: '10.0.0.1', port: 80 } };
    expect(() => registerHttp({ ...base, ttlSeconds: 0 })).toThrow(InvalidOptionError);
    expect(() => registerHttp({ ...base, registry: 'ftp://x' })).toThrow(/registry/);
    expect(() => registerHttp({ ...base, service: 'a b' })).toThrow(/service/);
    expect(() => registerHttp({ ...base, endpoint: { address: '10.0.0.1', port: 0 } })).toThrow(/endpoint/);
  });
});
