import { afterEach, describe, expect, it } from 'vitest';
import { createClient, NoEndpointsError, ResolveTimeoutError, type WayfinderClient } from '@wayfinder/core';
import { createFakeSource } from '@wayfinder/core/fake';
import { getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import { type Backend, refusingPort, startBackend, staticTarget, status } from './backends.js';
import { orderedPolicy } from './policies.js';

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
async function backend(...args: Parameters<typeof startBackend>) {
  const b = await startBackend(...args);
  backends.push(b);
  return b;
}
function client(options: Parameters<typeof createClient>[0]) {
  const c = createClient(options);
  clients.push(c);
  return c;
}

describe('client.dispatcher', () => {
  it('makes undici.request discovery-aware, retrying a refused connection on another endpoint', async () => {
    const dead = await refusingPort();
    const b = await backend();
    const c = client({ services: { planner: staticTarget(dead, b.port) }, balancer: orderedPolicy([dead, b.port]) });
    const res = await request('http://planner/req?q=1', { method: 'POST', body: 'payload', dispatcher: c.dispatcher });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok POST /req?q=1');
    expect(b.seen[0]).toMatchObject({ host: 'planner', body: 'payload' });
  });

  it('retries an idempotent request after a 503 and hands the final response to the caller', async () => {
    const a = await backend(status(503));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]) });
    const res = await request('http://planner/x', { dispatcher: c.dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect([a.seen.length, b.seen.length]).toEqual([1, 1]);
  });

  it('delivers the last retryable response with its body when attempts run out', async () => {
    const a = await backend(status(503));
    const c = client({ services: { planner: staticTarget(a.port) } });
    const res = await request('http://planner/x', { dispatcher: c.dispatcher });
    expect(res.statusCode).toBe(503);
    expect(await res.body.text()).toBe('status 503');
    expect(a.seen).toHaveLength(3);
  });

  it("works as the dispatcher of Node 20's global fetch (bundled undici 6)", async () => {
    const b = await backend();
    const c = client({ services: { planner: staticTarget(b.port) } });
    const res = await fetch('http://planner/g', { method: 'POST', body: 'hello', dispatcher: c.dispatcher } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok POST /g');
    expect(b.seen[0]).toMatchObject({ host: 'planner', body: 'hello' });
  });

  it('makes every global fetch discovery-aware through setGlobalDispatcher, passing other hosts through', async () => {
    const b = await backend();
    const other = await backend();
    const c = client({ services: { planner: staticTarget(b.port) } });
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(c.dispatcher);
    try {
      const res = await fetch('http://planner/global');
      expect(await res.text()).toBe('ok GET /global');
      const passthrough = await fetch(`http://127.0.0.1:${other.port}/direct`);
      expect(await passthrough.text()).toBe('ok GET /direct');
      const viaRequest = await request('http://planner/req');
      expect(await viaRequest.body.text()).toBe('ok GET /req');
    } finally {
      setGlobalDispatcher(previous);
    }
    expect(b.seen.map((s) => s.url)).toEqual(['/global', '/req']);
    expect(other.seen.map((s) => [s.url, s.host])).toEqual([['/direct', `127.0.0.1:${other.port}`]]);
  });

  it('aborts a request through the caller signal', async () => {
    const b = await backend(() => {
      /* never answers */
    });
    const c = client({ services: { planner: staticTarget(b.port) } });
    const controller = new AbortController();
    const pending = request('http://planner/slow', { dispatcher: c.dispatcher, signal: controller.signal });
    await new Promise<void>((resolve) => {
      const check = () => (b.seen.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('client.fetch', () => {
  it('passes unmapped hosts through untouched', async () => {
    const b = await backend();
    const c = client({ services: { planner: staticTarget(b.port) } });
    const res = await c.fetch(`http://127.0.0.1:${b.port}/direct`);
    expect(await res.text()).toBe('ok GET /direct');
    expect(b.seen[0]!.host).toBe(`127.0.0.1:${b.port}`);
  });

  it('accepts a Request object and keeps its method, headers and body', async () => {
    const b = await backend();
    const c = client({ services: { planner: staticTarget(b.port) } });
    const res = await c.fetch(new Request('http://planner/r', { method: 'PUT', body: 'b', headers: { 'x-a': '1' } }));
    expect(res.status).toBe(200);
    expect(b.seen[0]).toMatchObject({ method: 'PUT', body: 'b', host: 'planner' });
    expect(b.seen[0]!.headers['x-a']).toBe('1');
  });

  it('throws NoEndpointsError naming the service and target when the set is empty', async () => {
    const source = createFakeSource({ endpoints: [] });
    const c = client({ services: { planner: 'fake://planner' }, schemes: { fake: () => source } });
    const error = await c.fetch('http://planner/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEndpointsError);
    expect(error).toMatchObject({ code: 'WF_ERR_NO_ENDPOINTS', reason: 'empty', service: 'planner', target: 'fake://planner' });
  });

  it('throws ResolveTimeoutError when no snapshot arrives in time', async () => {
    const source = createFakeSource();
    source.breakLists();
    const c = client({ services: { planner: 'fake://planner' }, schemes: { fake: () => source }, resolveTimeoutMs: 200 });
    const error = await c.fetch('http://planner/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResolveTimeoutError);
    expect((error as ResolveTimeoutError).code).toBe('WF_ERR_RESOLVE_TIMEOUT');
  });

  it('waits for the first snapshot, then picks from it', async () => {
    const b = await backend();
    const source = createFakeSource();
    source.breakLists();
    const c = client({ services: { planner: 'fake://planner' }, schemes: { fake: () => source }, backoff: { initialMs: 10, maxMs: 20 } });
    const pending = c.fetch('http://planner/late');
    source.push([{ address: '127.0.0.1', port: b.port }]);
    source.recover();
    const res = await pending;
    expect(await res.text()).toBe('ok GET /late');
  });

  it('follows new snapshots: a removed endpoint is no longer picked', async () => {
    const a = await backend();
    const b = await backend();
    const source = createFakeSource({ endpoints: [{ address: '127.0.0.1', port: a.port }] });
    const c = client({ services: { planner: 'fake://planner' }, schemes: { fake: () => source } });
    await (await c.fetch('http://planner/1')).text();
    source.push([{ address: '127.0.0.1', port: b.port }]);
    for (let i = 0; i < 100 && b.seen.length === 0; i++) await (await c.fetch('http://planner/2')).text();
    const before = a.seen.length;
    for (let i = 0; i < 5; i++) await (await c.fetch('http://planner/3')).text();
    expect(a.seen.length).toBe(before);
    expect(b.seen.length).toBeGreaterThanOrEqual(5);
  });

  it('rejects bad options at construction, naming the option', () => {
    expect(() => createClient({ services: { planner: 'static://127.0.0.1:1' }, retry: { maxAttempts: 0 } })).toThrow(/retry\.maxAttempts/);
    expect(() => createClient({ services: { 'bad host!': 'static://127.0.0.1:1' } })).toThrow(/services\.bad host!/);
    expect(() => createClient({ services: { planner: 'nope://x' } })).toThrow(/unsupported scheme/);
    expect(() => createClient({ services: {}, transport: 'carrier-pigeon' as never })).toThrow(/transport/);
  });
});

describe('globalThis.fetch = client.fetch', () => {
  it('serves mapped hosts and passes others to Node’s fetch without recursing', async () => {
    const b = await backend();
    const other = await backend();
    const c = client({ services: { planner: staticTarget(b.port) } });
    const original = globalThis.fetch;
    globalThis.fetch = c.fetch;
    try {
      expect(await (await fetch('http://planner/a')).text()).toBe('ok GET /a');
      expect(await (await fetch(`http://127.0.0.1:${other.port}/b`)).text()).toBe('ok GET /b');
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('redirects and deadlines', () => {
  it('follows a redirect to another host through discovery or pass-through, not to the picked endpoint', async () => {
    const other = await backend();
    const tools = await backend();
    const planner = await backend((req, res) => {
      if (req.url === '/to-other') res.writeHead(302, { location: `http://127.0.0.1:${other.port}/landed` }).end();
      else if (req.url === '/to-tools') res.writeHead(302, { location: 'http://tools/landed' }).end();
      else res.writeHead(302, { location: '/same-host' }).end();
    });
    const c = client({ services: { planner: staticTarget(planner.port), tools: staticTarget(tools.port) }, transport: 'undici' });
    expect(await (await c.fetch('http://planner/to-other')).text()).toBe('ok GET /landed');
    expect(other.seen.map((s) => s.host)).toEqual([`127.0.0.1:${other.port}`]);
    expect(await (await c.fetch('http://planner/to-tools')).text()).toBe('ok GET /landed');
    expect(tools.seen.map((s) => s.host)).toEqual(['tools']);
  });

  it('rejects with a TimeoutError when the call deadline passes', async () => {
    const b = await backend(() => {});
    const c = client({ services: { planner: staticTarget(b.port) }, transport: 'undici' });
    const error = await c.fetch('http://planner/slow', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('rejects a dispatcher call with a TimeoutError when the client deadline passes', async () => {
    const b = await backend(() => {});
    const c = client({ services: { planner: staticTarget(b.port) }, timeoutMs: 300 });
    const error = await request('http://planner/slow', { dispatcher: c.dispatcher }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
  });
});
