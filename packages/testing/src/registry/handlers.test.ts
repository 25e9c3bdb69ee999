import { adapterSchemes, register } from '@wayfinder/adapters';
import { createResolver, type Resolver, type ResolverState } from '@wayfinder/core';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryHandlers } from './handlers.js';

const BASE = 'http://registry.test';
const registry = createRegistryHandlers({ baseUrl: BASE });
const server = setupServer(...registry.handlers);
const open: Resolver[] = [];

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
  registry.disconnectWatchers();
  for (const s of ['checkout', 'polled', 'planner']) for (const e of registry.store.snapshot(s).endpoints) registry.store.delete(s, e.id!);
});
afterAll(() => server.close());

function resolve(target: string): Resolver {
  const r = createResolver({ target, schemes: adapterSchemes, backoff: { initialMs: 20, maxMs: 100 } });
  open.push(r);
  return r;
}

async function untilState(r: Resolver, check: (s: ResolverState) => boolean): Promise<ResolverState> {
  for (let i = 0; i < 400; i++) {
    if (r.current && check(r.current)) return r.current;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`condition not met; last state: ${JSON.stringify(r.current?.endpoints.endpoints.map((e) => e.id))}`);
}

describe('msw registry handlers', () => {
  it('answers GET with the snapshot, an ETag, and 304 for a matching If-None-Match', async () => {
    registry.store.put('checkout', 'a', { address: '10.0.0.1', port: 80 }, 30);
    const first = await fetch(`${BASE}/v1/services/checkout`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { revision: string; endpoints: unknown[] };
    expect(body.endpoints).toHaveLength(1);
    expect(first.headers.get('etag')).toBe(`"${body.revision}"`);
    const second = await fetch(`${BASE}/v1/services/checkout`, { headers: { 'if-none-match': first.headers.get('etag')! } });
    expect(second.status).toBe(304);
  });

  it('answers an unregistered service with 200 and no endpoints, not 404', async () => {
    const response = await fetch(`${BASE}/v1/services/nobody`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { endpoints: unknown[] }).endpoints).toEqual([]);
  });

  it('streams store changes to a watching resolver over msw sse()', async () => {
    const r = resolve(`registry+http://registry.test/checkout`);
    await r.ready({ timeoutMs: 5000 });
    await waitUntil(() => registry.watchers === 1);
    registry.store.put('checkout', 'b', { address: '10.0.0.2', port: 80 }, 30);
    const state = await untilState(r, (s) => s.endpoints.endpoints.some((e) => e.id === 'b'));
    expect(state.endpoints.endpoints.map((e) => e.address)).toEqual(['10.0.0.2']);
    registry.heartbeat(); // a heartbeat changes nothing
    registry.store.delete('checkout', 'b');
    await untilState(r, (s) => s.endpoints.size === 0);
  });

  it('resumes after the stream is broken and keeps the set meanwhile', async () => {
    registry.store.put('checkout', 'c', { address: '10.0.0.3', port: 80 }, 30);
    const r = resolve(`registry+http://registry.test/checkout`);
    await untilState(r, (s) => s.endpoints.size === 1);
    await waitUntil(() => registry.watchers === 1);
    registry.breakWatchers();
    await waitUntil(() => registry.watchers === 1); // the resolver reconnected
    expect(r.current!.endpoints.size).toBe(1);
    registry.store.put('checkout', 'd', { address: '10.0.0.4', port: 80 }, 30);
    await untilState(r, (s) => s.endpoints.size === 2);
  });

  it('serves the polling path with If-None-Match when watch=false', async () => {
    registry.store.put('polled', 'p1', { address: '10.0.1.1', port: 80 }, 30);
    const r = resolve(`registry+http://registry.test/polled?watch=false&pollIntervalMs=20`);
    const first = await untilState(r, (s) => s.endpoints.size === 1);
    registry.store.put('polled', 'p2', { address: '10.0.1.2', port: 80 }, 30);
    const second = await untilState(r, (s) => s.endpoints.size === 2);
    expect(second.endpoints.revision).not.toBe(first.endpoints.revision);
  });

  it('registers through register() and deregisters on close', async () => {
    const registration = register({ registry: BASE, service: 'planner', endpoint: { address: '10.0.2.1', port: 9000 }, ttlSeconds: 30, drainMs: 1 });
    await registration.ready({ timeoutMs: 5000 });
    expect(registry.store.snapshot('planner').endpoints.map((e) => e.id)).toEqual(['10.0.2.1:9000']);
    await registration.close();
    expect(registry.store.snapshot('planner').endpoints).toEqual([]);
  });
});

describe('msw registry handlers with a bearer token', () => {
  it('refuses requests without the token with 401 and accepts them with it', async () => {
    const secured = createRegistryHandlers({ baseUrl: 'http://secure.test', token: 's3cret' });
    server.use(...secured.handlers);
    const refused = await fetch('http://secure.test/v1/services/x');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const accepted = await fetch('http://secure.test/v1/services/x', { headers: { authorization: 'Bearer s3cret' } });
    expect(accepted.status).toBe(200);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error('condition not met');
}
