import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resolver } from '@wayfinder/core';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.js';
import { ids, until, watcher } from './helpers.js';

/**
 * A scriptable registry on 127.0.0.1 that misbehaves on purpose: each test decides what GET and
 * the SSE stream answer. The real dev registry never sends these, so this is a real HTTP server
 * speaking a broken protocol, not a mock of the client.
 */
interface Script {
  get: () => { status?: number; body: string };
  onWatch: (res: http.ServerResponse) => void;
}

let server: http.Server | undefined;
const resolvers: Resolver[] = [];
const streams = new Set<http.ServerResponse>();
let watchConnections = 0;

afterEach(async () => {
  await Promise.all(resolvers.splice(0).map((r) => r.close()));
  for (const s of streams) s.destroy();
  streams.clear();
  await new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve()));
  server = undefined;
  watchConnections = 0;
});

async function startScripted(script: Script): Promise<string> {
  server = http.createServer((req, res) => {
    if (req.url?.endsWith('/watch')) {
      watchConnections++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      script.onWatch(res);
      return;
    }
    const answer = script.get();
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `registry+http://127.0.0.1:${(server!.address() as AddressInfo).port}/svc`;
}

const good = (rev: number, n: number) =>
  JSON.stringify({ service: 'svc', revision: `ep-${rev}`, endpoints: Array.from({ length: n }, (_, i) => ({ address: `10.0.0.${i + 1}`, port: 80 })) });
const event = (body: string, id?: string) => `event: snapshot\n${id ? `id: ${id}\n` : ''}data: ${body}\n\n`;

const BAD_BODIES: [string, string][] = [
  ['malformed JSON', '{"service":"svc","revision":"ep-9","endpoints":[{"address"'],
  ['a schema violation (port out of range in one of two endpoints)', JSON.stringify({ service: 'svc', revision: 'ep-9', endpoints: [{ address: '10.0.0.1', port: 80 }, { address: '10.0.0.2', port: 99999 }] })],
  ['a body over the size limit', JSON.stringify({ service: 'svc', revision: 'ep-9', endpoints: [{ address: '10.0.0.1', port: 80, metadata: { pad: 'x'.repeat(5000) } }] })],
  ['an error status', JSON.stringify({ error: { code: 'internal', message: 'boom' } })],
];

describe('a registry answering badly keeps the last good set (never partial)', () => {
  for (const [what, body] of BAD_BODIES) {
    it(`GET with ${what}: stale, last good set kept, recovered when fixed`, async () => {
      let answer = { status: 200, body: good(1, 2) };
      const target = await startScripted({ get: () => answer, onWatch: (res) => res.destroy() }); // every watch fails → relist
      const r = watcher(`${target}?maxResponseBytes=4096`, resolvers);
      await until(r, (s) => s.endpoints.size === 2, 'first good list');
      answer = { status: what === 'an error status' ? 500 : 200, body };
      // The watch fails first (a plain source error); then the relist gets the bad answer.
      const stale = await until(r, (s) => s.stale && s.error?.code === 'WF_ERR_REGISTRY_RESPONSE', 'stale after a bad answer');
      expect(ids(stale)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
      answer = { status: 200, body: good(3, 1) };
      const fixed = await until(r, (s) => !s.stale && s.endpoints.size === 1, 'recovered');
      expect(fixed.endpoints.revision).toBe('ep-3');
    });
  }

  it('a malformed SSE event is reported, the set kept, and the next good event applied', async () => {
    let send: (frame: string) => void = () => {};
    const target = await startScripted({ get: () => ({ body: good(1, 2) }), onWatch: (res) => (send = (f) => res.write(f)) });
    const r = watcher(target, resolvers);
    await until(r, (s) => s.endpoints.size === 2, 'first list');
    await waitFor(() => streams.size === 1, { what: 'the stream' });
    send(event(BAD_BODIES[1]![1], 'ep-2'));
    const stale = await until(r, (s) => s.stale, 'stale after a bad event');
    expect(stale.endpoints.size).toBe(2);
    send(event(good(3, 3), 'ep-3'));
    await until(r, (s) => !s.stale && s.endpoints.size === 3, 'next good event');
    expect(watchConnections).toBe(1);
  });

  it('an oversize SSE event fails the stream; the set is kept and the resolver reconnects', async () => {
    let oversize = true;
    const target = await startScripted({
      get: () => ({ body: good(1, 2) }),
      onWatch: (res) => res.write(oversize ? `event: snapshot\ndata: ${'x'.repeat(10_000)}` : event(good(4, 4), 'ep-4')),
    });
    const r = watcher(`${target}?maxResponseBytes=4096`, resolvers);
    const stale = await until(r, (s) => s.stale, 'stale after an oversize event');
    expect(stale.endpoints.size).toBe(2);
    expect(stale.error?.message).toMatch(/over the 4096-byte limit/);
    oversize = false;
    await until(r, (s) => !s.stale && s.endpoints.size === 4, 'reconnected');
    expect(watchConnections).toBeGreaterThanOrEqual(2);
  });

  it('a silent stream (no heartbeats) is abandoned after idleTimeoutMs and resumed', async () => {
    const lastEventIds: (string | undefined)[] = [];
    const target = await startScripted({ get: () => ({ body: good(1, 1) }), onWatch: () => {} });
    server!.prependListener('request', (req: http.IncomingMessage) => {
      if (req.url?.endsWith('/watch')) lastEventIds.push(req.headers['last-event-id'] as string | undefined);
    });
    const r = watcher(`${target}?idleTimeoutMs=200`, resolvers);
    await until(r, (s) => s.endpoints.size === 1, 'first list');
    await waitFor(() => watchConnections >= 3, { what: 'the watch abandoned and resumed twice' });
    expect(r.current!.endpoints.size).toBe(1);
    expect(lastEventIds.every((id) => id === 'ep-1')).toBe(true); // resumed from the list's revision
  });
});
