import { afterEach, describe, expect, it } from 'vitest';
import { type AttemptEvent, createClient, type WayfinderClient } from '@wayfinder/core';
import { request } from 'undici';
import { leastRequest, withOutlierDetection } from '@wayfinder/balancer';
import { type Backend, refusingPort, startBackend, staticTarget, status } from './backends.js';
import { orderedPolicy } from './policies.js';

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

describe('outcome hooks', () => {
  it('reach the picker: onStart then onEnd with status, failure class and latency, for every attempt', async () => {
    const dead = await refusingPort();
    const a = await startBackend(status(503));
    const b = await startBackend();
    backends.push(a, b);
    const policy = orderedPolicy([dead, a.port, b.port]);
    const events: AttemptEvent[] = [];
    const c = createClient({ services: { planner: staticTarget(dead, a.port, b.port) }, balancer: policy, onAttempt: (e) => events.push(e), transport: 'undici' });
    clients.push(c);
    const res = await c.fetch('http://planner/x');
    expect(await res.text()).toBe('ok GET /x');
    await c.fetch('http://planner/y', { retry: false }).then((r) => r.text()); // dead is quarantined: not picked
    const ids = [dead, a.port, b.port].map((p) => `127.0.0.1:${p}`);
    expect(policy.log.starts).toEqual([ids[0], ids[1], ids[2], ids[1]]);
    const ends = policy.log.ends.slice(0, 3).map((e) => [e.endpoint, e.outcome.ok, e.outcome.status, e.outcome.failure]);
    expect(ends).toEqual([
      [ids[0], false, undefined, 'connect'],
      [ids[1], false, 503, 'gateway'],
      [ids[2], true, 200, undefined],
    ]);
    expect(policy.log.ends.every((e) => e.outcome.latencyMs >= 0)).toBe(true);
    expect(events.map((e) => [e.service, e.attempt, e.endpoint.id])).toEqual([
      ['planner', 1, ids[0]],
      ['planner', 2, ids[1]],
      ['planner', 3, ids[2]],
      ['planner', 1, ids[1]],
    ]);
  });

  it('reach the picker from the request path, and pass the affinity key to the pick', async () => {
    const b = await startBackend();
    backends.push(b);
    const policy = orderedPolicy();
    const c = createClient({ services: { planner: staticTarget(b.port) }, balancer: policy });
    clients.push(c);
    const res = await request('http://planner/x', { dispatcher: c.dispatcher });
    await res.body.text();
    await (await c.fetch('http://planner/y', { affinityKey: 'conversation-7' })).text();
    expect(policy.log.ends.map((e) => [e.outcome.ok, e.outcome.status])).toEqual([
      [true, 200],
      [true, 200],
    ]);
    expect(policy.log.picks.map((p) => p.affinityKey)).toEqual([undefined, 'conversation-7']);
  });

  it('reports a caller abort as a local failure, not the endpoint’s fault', async () => {
    const b = await startBackend(() => {});
    backends.push(b);
    const policy = orderedPolicy();
    const c = createClient({ services: { planner: staticTarget(b.port) }, balancer: policy, transport: 'undici' });
    clients.push(c);
    const controller = new AbortController();
    const pending = c.fetch('http://planner/slow', { signal: controller.signal });
    await new Promise<void>((resolve) => {
      const check = () => (b.seen.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await new Promise<void>((resolve) => {
      const check = () => (policy.log.ends.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(policy.log.ends[0]!.outcome).toMatchObject({ ok: false, failure: 'local' });
  });
});

describe('with @wayfinder/balancer policies', () => {
  it('leastRequest() with outlier detection serves every call when one endpoint refuses connections', async () => {
    const dead = await refusingPort();
    const a = await startBackend();
    const b = await startBackend();
    backends.push(a, b);
    const c = createClient({ services: { planner: staticTarget(dead, a.port, b.port) }, balancer: withOutlierDetection(leastRequest()) });
    clients.push(c);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => c.fetch(`http://planner/${i}`).then((r) => r.status)));
    expect(results.every((s) => s === 200)).toBe(true);
    expect(a.seen.length + b.seen.length).toBe(30);
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
  });
});
