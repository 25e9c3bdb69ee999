// msw tests live apart from the real-server tests: with onUnhandledRequest 'error', msw also
// catches real loopback traffic (TOOLCHAIN.md).
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, NoEndpointsError, RetriesExhaustedError } from '@wayfinder/core';
import { createFakeSource, mockService } from '@wayfinder/testing';
import { waitFor } from '../harness/processes.js';
import { orderedPolicy } from './policies.js';

const planner = mockService('planner', { endpoints: 3 }, [
  http.post('http://planner/v1/plan', async ({ request }) =>
    HttpResponse.json({ goal: ((await request.json()) as { goal: string }).goal, endpoint: request.headers.get('x-wayfinder-endpoint') }),
  ),
  http.get('http://planner/health', () => new HttpResponse('ok')),
]);
const server = setupServer(...planner.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  planner.resetHandlers();
});
afterAll(() => server.close());

describe('mockService with the default transport (msw detected)', () => {
  it('answers requests made through client.fetch with the logical-URL handlers, each endpoint at its own address', async () => {
    const policy = orderedPolicy();
    const client = createClient({ services: planner.services, balancer: policy });
    const res = await client.fetch('http://planner/v1/plan', { method: 'POST', body: JSON.stringify({ goal: 'ship' }) });
    expect(res.status).toBe(200);
    const picked = policy.log.picks[0]!.endpoint;
    expect(await res.json()).toEqual({ goal: 'ship', endpoint: picked });
    expect(planner.requests.map((r) => [r.endpoint, r.method, r.path])).toEqual([[picked, 'POST', '/v1/plan']]);
    expect(new Set(planner.endpoints.map((e) => e.id)).size).toBe(3);
    await client.close();
  });

  it('exercises retries with a refused endpoint (any method) and a 503 (idempotent only)', async () => {
    const [a, b, c] = planner.endpoints;
    const policy = orderedPolicy([a!.port]);
    const client = createClient({ services: planner.services, balancer: policy });
    a!.fail({ error: 'refused' });
    const res = await client.fetch('http://planner/v1/plan', { method: 'POST', body: JSON.stringify({ goal: 'x' }) });
    expect(res.status).toBe(200);
    expect(a!.requests).toHaveLength(1);
    expect(b!.requests.length + c!.requests.length).toBe(1);
    planner.resetHandlers();
    for (const e of planner.endpoints) e.fail({ status: 503 });
    const post = await client.fetch('http://planner/v1/plan', { method: 'POST', body: '{}' });
    expect(post.status).toBe(503);
    expect(planner.requests).toHaveLength(1);
    const get = await client.fetch('http://planner/health');
    expect(get.status).toBe(503);
    expect(planner.requests).toHaveLength(1 + 3);
    await client.close();
  });

  it('injects latency, one-off statuses and resets per endpoint', async () => {
    const [a] = planner.endpoints;
    const client = createClient({ services: planner.services, balancer: orderedPolicy(), retry: false });
    a!.failNext({ status: 429, headers: { 'retry-after': '0' } });
    expect((await client.fetch('http://planner/health')).status).toBe(429);
    expect((await client.fetch('http://planner/health')).status).toBe(200);
    a!.fail({ error: 'reset' });
    const error = await client.fetch('http://planner/health').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).cause).toMatchObject({ code: 'ECONNRESET' });
    a!.fail({ latencyMs: 20, status: 200, body: 'slow' });
    expect(await (await client.fetch('http://planner/health')).text()).toBe('slow');
    await client.close();
  });

  it('fails every attempt with RetriesExhaustedError when all endpoints refuse', async () => {
    for (const e of planner.endpoints) e.fail({ error: 'refused' });
    const client = createClient({ services: planner.services });
    const error = await client.fetch('http://planner/health').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(planner.requests).toHaveLength(3);
    expect(new Set(planner.requests.map((r) => r.endpoint)).size).toBe(3);
    await client.close();
  });

  it('lets a test override handlers at runtime with use(), msw style', async () => {
    planner.use(http.get('http://planner/health', () => new HttpResponse('overridden')));
    const client = createClient({ services: planner.services });
    expect(await (await client.fetch('http://planner/health')).text()).toBe('overridden');
    planner.resetHandlers();
    expect(await (await client.fetch('http://planner/health')).text()).toBe('ok');
    await client.close();
  });

  it('drives churn with a fake source: endpoints removed from discovery are no longer picked', async () => {
    const source = createFakeSource({ endpoints: planner.endpoints.map((e) => ({ address: e.address, port: e.port })) });
    const policy = orderedPolicy();
    const client = createClient({ services: { planner: 'fake://planner' }, schemes: { fake: () => source }, balancer: policy });
    await client.fetch('http://planner/health');
    expect(planner.requests.map((r) => r.endpoint)).toEqual([planner.endpoints[0]!.id]);
    source.push([{ address: planner.endpoints[2]!.address, port: planner.endpoints[2]!.port }]);
    await waitFor(() => policy.log.builds === 2, { what: 'the new snapshot' });
    planner.resetHandlers();
    for (let i = 0; i < 10; i++) await client.fetch('http://planner/health');
    expect(new Set(planner.requests.map((r) => r.endpoint))).toEqual(new Set([planner.endpoints[2]!.id]));
    source.push([]);
    await waitFor(() => policy.log.builds === 3, { what: 'the empty snapshot' });
    const error = await client.fetch('http://planner/health').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEndpointsError);
    await client.close();
  });
});

describe('transports', () => {
  it("transport 'fetch' sends through the global fetch too", async () => {
    const client = createClient({ services: planner.services, transport: 'fetch' });
    expect(await (await client.fetch('http://planner/health')).text()).toBe('ok');
    await client.close();
  });

  it("transport 'undici' bypasses msw (documented): the request goes to the real network address", async () => {
    const client = createClient({ services: planner.services, transport: 'undici', retry: false, timeoutMs: 2000 });
    const error = await client.fetch('http://planner/health').catch((e: unknown) => e);
    expect(error).toBeDefined();
    expect(planner.requests).toHaveLength(0);
    await client.close();
  });

  it('passes unmapped hosts to the global fetch, where the consumer’s own msw handlers see them', async () => {
    server.use(http.get('http://search.internal/q', () => new HttpResponse('search')));
    const client = createClient({ services: planner.services });
    expect(await (await client.fetch('http://search.internal/q')).text()).toBe('search');
    await client.close();
  });
});
