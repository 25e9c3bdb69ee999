import { createRegistryServer, register, type Registration, type RegistryServer } from '@wayfinder/adapters';
import type { Resolver } from '@wayfinder/core';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import { ids, until, watcher } from './helpers.js';

let server: RegistryServer | undefined;
const resolvers: Resolver[] = [];
const registrations: Registration[] = [];

afterEach(async () => {
  await Promise.all(registrations.splice(0).map((r) => r.close({ drainMs: 0 })));
  await Promise.all(resolvers.splice(0).map((r) => r.close()));
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof createRegistryServer>[0] = {}): Promise<RegistryServer> {
  server = createRegistryServer({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 200, ...options });
  await server.listen();
  return server;
}

function put(url: string, service: string, id: string, endpoint: Record<string, unknown>, ttlSeconds = 30, token?: string): Promise<Response> {
  return fetch(`${url}/v1/services/${service}/endpoints/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ endpoint, ttlSeconds }),
  });
}

describe('dev registry with a watching resolver (SSE)', () => {
  it('shows registrations, renewals, terminations and deregistrations as they happen', async () => {
    const s = await start();
    const r = watcher(`registry+http://127.0.0.1:${s.port}/planner`, resolvers);
    expect((await r.ready({ timeoutMs: 10_000 })).endpoints.size).toBe(0);
    const reg = register({ registry: s.url, service: 'planner', endpoint: { address: '127.0.0.1', port: 8080, zone: 'a' }, ttlSeconds: 2, drainMs: 300 });
    await reg.ready({ timeoutMs: 10_000 });
    const registered = await until(r, (st) => st.endpoints.size === 1, 'registered');
    expect(registered.endpoints.endpoints[0]).toMatchObject({ address: '127.0.0.1', port: 8080, zone: 'a', ready: true });
    const events: string[] = [];
    reg.subscribe((e) => events.push(e.type === 'registered' ? `registered:${e.created}` : e.type));
    await waitFor(() => events.includes('registered:false'), { what: 'a renewal' });
    const revisionAfterRenewal = r.current!.endpoints.revision;
    expect(revisionAfterRenewal).toBe(registered.endpoints.revision); // a renewal publishes nothing new
    const closing = reg.close();
    const terminating = await until(r, (st) => st.endpoints.endpoints[0]?.terminating === true, 'terminating');
    expect(terminating.endpoints.endpoints[0]).toMatchObject({ ready: false, serving: true });
    await closing;
    await until(r, (st) => st.endpoints.size === 0, 'deregistered');
    expect(events).toEqual(expect.arrayContaining(['terminating', 'deregistered']));
  });

  it('removes an endpoint that is not renewed within its TTL', async () => {
    const s = await start();
    const r = watcher(`registry+http://127.0.0.1:${s.port}/expiring`, resolvers);
    await r.ready({ timeoutMs: 10_000 });
    expect((await put(s.url, 'expiring', 'x', { address: '10.0.0.9', port: 80 }, 1)).status).toBe(201);
    await until(r, (st) => st.endpoints.size === 1, 'registered');
    await until(r, (st) => st.endpoints.size === 0, 'expired');
    expect(r.current!.stale).toBe(false);
  });

  it('fans one change out to many watchers', async () => {
    const s = await start();
    const many = Array.from({ length: 20 }, () => watcher(`registry+http://127.0.0.1:${s.port}/fan`, resolvers));
    await Promise.all(many.map((r) => r.ready({ timeoutMs: 10_000 })));
    await waitFor(() => s.watchers === 20, { what: '20 SSE streams' });
    await put(s.url, 'fan', 'a', { address: '10.0.0.1', port: 80 });
    await Promise.all(many.map((r) => until(r, (st) => st.endpoints.size === 1, 'fan-out')));
  });

  it('keeps a quiet stream open with heartbeats (no reconnects while idle)', async () => {
    const s = await start({ heartbeatIntervalMs: 50 });
    const r = watcher(`registry+http://127.0.0.1:${s.port}/quiet?idleTimeoutMs=400`, resolvers);
    await r.ready({ timeoutMs: 10_000 });
    await waitFor(() => s.watchers === 1, { what: 'one stream' });
    const before = r.current!;
    // Eight idle timeouts pass; heartbeats keep the stream: still one stream, same healthy state.
    await new Promise((res) => setTimeout(res, 3200));
    expect(s.watchers).toBe(1);
    expect(r.current).toBe(before);
    expect(r.current!.stale).toBe(false);
  });

  it('measures the SSE path: registry change to published snapshot (figure, not asserted)', async () => {
    const s = await start();
    const r = watcher(`registry+http://127.0.0.1:${s.port}/latency`, resolvers);
    await r.ready({ timeoutMs: 10_000 });
    await waitFor(() => s.watchers === 1, { what: 'one stream' });
    const samples: number[] = [];
    for (let i = 0; i < 40; i++) {
      const seen = new Promise<number>((resolve) => {
        const off = r.subscribe((st) => {
          if (st.endpoints.size === (i % 2 === 0 ? 1 : 0)) {
            queueMicrotask(() => off());
            resolve(performance.now());
          }
        });
      });
      const t0 = performance.now();
      // The whole path a registrant's change takes: HTTP PUT/DELETE → registry → SSE → resolver.
      if (i % 2 === 0) await put(s.url, 'latency', 'a', { address: '10.0.0.1', port: 80 });
      else await fetch(`${s.url}/v1/services/latency/endpoints/a`, { method: 'DELETE' });
      samples.push((await seen) - t0);
    }
    samples.sort((a, b) => a - b);
    const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!.toFixed(2);
    console.log(`[registry] HTTP PUT/DELETE → SSE → published snapshot on loopback: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms (n=${samples.length})`);
    expect(samples).toHaveLength(40);
  });
});

describe('dev registry polling path (If-None-Match / 304)', () => {
  it('answers 304 for an unchanged service and the polling resolver still sees changes', async () => {
    const s = await start();
    const first = await fetch(`${s.url}/v1/services/polled`);
    const etag = first.headers.get('etag')!;
    expect((await fetch(`${s.url}/v1/services/polled`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const r = watcher(`registry+http://127.0.0.1:${s.port}/polled?watch=false&pollIntervalMs=50`, resolvers);
    const initial = await r.ready({ timeoutMs: 10_000 });
    await new Promise((res) => setTimeout(res, 300)); // several 304 polls
    expect(r.current!.endpoints.revision).toBe(initial.endpoints.revision);
    expect(r.current!.stale).toBe(false);
    await put(s.url, 'polled', 'a', { address: '10.0.0.1', port: 80 });
    const after = await until(r, (st) => st.endpoints.size === 1, 'polled change');
    expect(s.watchers).toBe(0);
    expect(ids(after)).toEqual(['a']);
  });
});

describe('dev registry with a bearer token', () => {
  it('refuses requests without the token and serves resolvers and registrants that send it', async () => {
    const s = await start({ token: 'tok-123' });
    const denied = await fetch(`${s.url}/v1/services/secure`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const anonymous = watcher(`registry+http://127.0.0.1:${s.port}/secure`, resolvers);
    await expect(anonymous.ready({ timeoutMs: 1000 })).rejects.toThrow(/401/);
    const reg = register({ registry: s.url, service: 'secure', endpoint: { address: '10.0.0.5', port: 80 }, ttlSeconds: 30, token: 'tok-123' });
    registrations.push(reg);
    await reg.ready({ timeoutMs: 10_000 });
    const r = watcher(`registry+http://127.0.0.1:${s.port}/secure?token=tok-123`, resolvers);
    await until(r, (st) => st.endpoints.size === 1, 'authorized watch');
    await put(s.url, 'secure', 'b', { address: '10.0.0.6', port: 80 }, 30, 'tok-123');
    await until(r, (st) => st.endpoints.size === 2, 'authorized SSE update');
  });
});
