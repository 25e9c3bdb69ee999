import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type WayfinderClient } from '@wayfinder/core';
import { createFakeSource } from '@wayfinder/core/fake';
import { request } from 'undici';
import { type Backend, startBackend, staticTarget } from './backends.js';

// A self-signed certificate for planner.test and api.planner.test, made once with
// `openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj /CN=planner.test
//  -addext subjectAltName=DNS:planner.test,DNS:api.planner.test` (test use only).
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const cert = readFileSync(path.join(FIXTURES, 'planner.test.crt'));
const key = readFileSync(path.join(FIXTURES, 'planner.test.key'));

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
function track<T extends Backend | WayfinderClient>(x: T): T {
  if ('seen' in x) backends.push(x);
  else clients.push(x);
  return x;
}

describe('Host header and TLS server name', () => {
  it('sends the logical name as Host while connecting to the endpoint address, keeping path, query, method, headers and body', async () => {
    const b = track(await startBackend());
    const c = track(createClient({ services: { 'planner.test': staticTarget(b.port) }, transport: 'undici' }));
    const res = await c.fetch('http://planner.test/v1/plan?goal=a%20b', { method: 'PATCH', body: 'x=1', headers: { 'x-trace': 't1' } });
    expect(res.status).toBe(200);
    expect(res.url).toBe('http://planner.test/v1/plan?goal=a%20b');
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]).toMatchObject({ method: 'PATCH', url: '/v1/plan?goal=a%20b', host: 'planner.test', body: 'x=1' });
    expect(b.seen[0]!.headers['x-trace']).toBe('t1');
  });

  it('on the request path, replaces a Host the caller gave with the logical name and keeps the other headers (record or flat list)', async () => {
    const b = track(await startBackend());
    const c = track(createClient({ services: { planner: staticTarget(b.port) } }));
    const a = await request('http://planner/a', { dispatcher: c.dispatcher, headers: { Host: 'elsewhere', 'x-trace': 't1' } });
    await a.body.text();
    const l = await c.dispatcher.request({ origin: 'http://planner', path: '/l', method: 'PUT', body: 'v', headers: ['x-list', 'l1', 'host', 'elsewhere'] });
    await l.body.text();
    expect(b.seen.map((s) => [s.url, s.host, s.headers['x-trace'] ?? s.headers['x-list'], s.body])).toEqual([
      ['/a', 'planner', 't1', ''],
      ['/l', 'planner', 'l1', 'v'],
    ]);
  });

  it("keeps the URL's port in the Host header", async () => {
    const b = track(await startBackend());
    const c = track(createClient({ services: { planner: staticTarget(b.port) }, transport: 'undici' }));
    await (await c.fetch('http://planner:8080/x')).text();
    expect(b.seen[0]!.host).toBe('planner:8080');
  });

  it("sends the endpoint's hostname as Host when the registry gives one", async () => {
    const b = track(await startBackend());
    const source = createFakeSource({ endpoints: [{ address: '127.0.0.1', port: b.port, hostname: 'pod-1.planner.internal' }] });
    const c = track(createClient({ services: { planner: 'fake://planner' }, schemes: { fake: () => source }, transport: 'undici' }));
    await (await c.fetch('http://planner/x')).text();
    expect(b.seen[0]!.host).toBe('pod-1.planner.internal');
  });

  it('uses the logical name as TLS server name and verifies the certificate against it when the endpoint is an IP', async () => {
    const b = track(await startBackend(undefined, { key, cert }));
    const c = track(createClient({ services: { 'planner.test': staticTarget(b.port) }, tls: { ca: cert }, transport: 'undici' }));
    const res = await c.fetch('https://planner.test/secure');
    expect(res.status).toBe(200);
    expect(b.seen[0]).toMatchObject({ host: 'planner.test', servername: 'planner.test', url: '/secure' });
  });

  it('uses the TLS server name on the request path (undici.request through client.dispatcher) too', async () => {
    const b = track(await startBackend(undefined, { key, cert }));
    const c = track(createClient({ services: { 'api.planner.test': staticTarget(b.port) }, tls: { ca: cert } }));
    const res = await request('https://api.planner.test/r', { dispatcher: c.dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(b.seen[0]).toMatchObject({ host: 'api.planner.test', servername: 'api.planner.test' });
  });

  it('fails the TLS handshake when the certificate does not match the logical name', async () => {
    const b = track(await startBackend(undefined, { key, cert }));
    const c = track(createClient({ services: { 'other.test': staticTarget(b.port) }, tls: { ca: cert }, retry: false, transport: 'undici' }));
    const error = await c.fetch('https://other.test/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(((error as Error).cause as Error).message)).toMatch(/other\.test/);
    expect(b.seen).toHaveLength(0);
  });
});
