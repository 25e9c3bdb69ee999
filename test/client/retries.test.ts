import { afterEach, describe, expect, it } from 'vitest';
import { BudgetExhaustedError, createClient, RetriesExhaustedError, type WayfinderClient } from '@wayfinder/core';
import { createFakeClock } from '@wayfinder/core/fake';
import { waitFor } from '../harness/processes.js';
import { type Backend, ok, refusingPort, startBackend, staticTarget, status } from './backends.js';
import { orderedPolicy } from './policies.js';

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
async function backend(...args: Parameters<typeof startBackend>): Promise<Backend> {
  const b = await startBackend(...args);
  backends.push(b);
  return b;
}
function client(options: Parameters<typeof createClient>[0]): WayfinderClient {
  const c = createClient({ transport: 'undici', ...options });
  clients.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

describe('retries on another endpoint', () => {
  it('retries a request refused by one endpoint on another, whatever the method', async () => {
    const dead = await refusingPort();
    const live = await backend();
    const policy = orderedPolicy([dead, live.port]);
    const c = client({ services: { planner: staticTarget(dead, live.port) }, balancer: policy, quarantineMs: 0 });
    const res = await c.fetch('http://planner/plan', { method: 'POST', body: 'goal' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok POST /plan');
    expect(live.seen.map((s) => s.body)).toEqual(['goal']);
    expect(policy.log.picks.map((p) => p.endpoint)).toEqual([`127.0.0.1:${dead}`, `127.0.0.1:${live.port}`]);
    expect(policy.log.picks[1]!.exclude).toEqual([`127.0.0.1:${dead}`]);
  });

  it('does not retry a POST without an idempotency key after a 503', async () => {
    const a = await backend(status(503));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]) });
    const res = await c.fetch('http://planner/plan', { method: 'POST', body: 'x' });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('status 503');
    expect(a.seen).toHaveLength(1);
    expect(b.seen).toHaveLength(0);
  });

  it('retries a POST carrying an Idempotency-Key after a 503, replaying its body', async () => {
    const a = await backend(status(503));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]) });
    const res = await c.fetch('http://planner/plan', { method: 'POST', body: 'x', headers: { 'Idempotency-Key': 'k1' } });
    expect(res.status).toBe(200);
    expect(a.seen).toHaveLength(1);
    expect(b.seen.map((s) => [s.body, s.headers['idempotency-key']])).toEqual([['x', 'k1']]);
  });

  it('retries idempotent methods after a 5xx on another endpoint', async () => {
    const a = await backend(status(502));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]) });
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await c.fetch('http://planner/x', { method });
      expect(res.status).toBe(200);
    }
    expect(a.seen).toHaveLength(3);
    expect(b.seen).toHaveLength(3);
  });

  it('returns the last response when every attempt answers with a retryable status', async () => {
    const a = await backend(status(503));
    const c = client({ services: { planner: staticTarget(a.port) } });
    const res = await c.fetch('http://planner/x');
    expect(res.status).toBe(503);
    expect(a.seen).toHaveLength(3);
  });

  it('throws RetriesExhaustedError with the last error as cause when every attempt is refused', async () => {
    const d1 = await refusingPort();
    const d2 = await refusingPort();
    const c = client({ services: { planner: staticTarget(d1, d2) }, retry: { budget: false } });
    const error = await c.fetch('http://planner/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).code).toBe('WF_ERR_RETRIES_EXHAUSTED');
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('honours Retry-After before the next attempt', async () => {
    const clock = createFakeClock();
    const a = await backend(status(503, { 'retry-after': '2' }));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]), clock });
    const pending = c.fetch('http://planner/x');
    await waitFor(() => clock.pendingDelays().includes(2000), { what: 'the Retry-After wait' });
    expect(b.seen).toHaveLength(0);
    await clock.advance(2000);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(b.seen).toHaveLength(1);
  });

  it('returns the 503 at once when Retry-After does not fit in the deadline', async () => {
    const a = await backend(status(503, { 'retry-after': '120' }));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]), timeoutMs: 30_000 });
    const res = await c.fetch('http://planner/x');
    expect(res.status).toBe(503);
    expect(b.seen).toHaveLength(0);
  });

  it('stops a retry storm with the budget (counting the attempts)', async () => {
    const clock = createFakeClock();
    const a = await backend(status(503));
    const c = client({ services: { planner: staticTarget(a.port) }, clock, retry: { maxAttempts: 3, budget: { ratio: 0.2, minPerSecond: 0 } } });
    const calls = 50;
    for (let i = 0; i < calls; i++) {
      const res = await c.fetch('http://planner/x');
      expect(res.status).toBe(503);
    }
    // Without a budget: 150 attempts. With it: one per call plus 20% of the calls.
    expect(a.seen.length).toBeGreaterThanOrEqual(calls);
    expect(a.seen.length).toBeLessThanOrEqual(calls + calls * 0.2);
  });

  it('throws BudgetExhaustedError when a refused request may not be retried', async () => {
    const d = await refusingPort();
    const c = client({ services: { planner: staticTarget(d) }, retry: { budget: { ratio: 0, minPerSecond: 0 } } });
    const error = await c.fetch('http://planner/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).code).toBe('WF_ERR_BUDGET_EXHAUSTED');
  });

  it('cancels the whole call, including the wait between attempts, when the caller aborts', async () => {
    const clock = createFakeClock();
    const a = await backend(status(503, { 'retry-after': '5' }));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]), clock });
    const controller = new AbortController();
    const pending = c.fetch('http://planner/x', { signal: controller.signal });
    await waitFor(() => clock.pendingDelays().includes(5000), { what: 'the Retry-After wait' });
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(10_000);
    expect(b.seen).toHaveLength(0);
  });

  it('sends a stream body once and does not retry it after a 503', async () => {
    const a = await backend(status(503));
    const b = await backend();
    const c = client({ services: { planner: staticTarget(a.port, b.port) }, balancer: orderedPolicy([a.port, b.port]) });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const res = await c.fetch('http://planner/x', { method: 'PUT', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(503);
    expect(a.seen.map((s) => s.body)).toEqual(['streamed']);
    expect(b.seen).toHaveLength(0);
  });

  it('does not resend a stream body even when the first endpoint refused the connection', async () => {
    const dead = await refusingPort();
    const b = await backend();
    const c = client({ services: { planner: staticTarget(dead, b.port) }, balancer: orderedPolicy([dead, b.port]) });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const error = await c.fetch('http://planner/x', { method: 'POST', body, duplex: 'half' } as RequestInit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(b.seen).toHaveLength(0);
  });
});

describe('quarantine of refusing endpoints', () => {
  it('without retries, fails at most one new request per dead endpoint', async () => {
    const dead = await refusingPort();
    const live = await backend(ok);
    const c = client({ services: { planner: staticTarget(dead, live.port) }, retry: false });
    let failed = 0;
    for (let i = 0; i < 40; i++) {
      const res = await c.fetch('http://planner/x').catch(() => undefined);
      if (!res) failed++;
    }
    expect(failed).toBeLessThanOrEqual(1);
    expect(live.seen.length).toBe(40 - failed);
  });

  it('sends one probe, not a burst, to an endpoint whose connections dropped (concurrent calls, no retries)', async () => {
    const live = [await backend(ok), await backend(ok)];
    const dying = await startBackend(ok);
    const c = client({ services: { planner: staticTarget(live[0]!.port, live[1]!.port, dying.port) }, retry: false });
    for (let i = 0; i < 200 && dying.seen.length === 0; i++) await (await c.fetch('http://planner/warm')).text();
    for (let i = 0; i < 200 && (live[0]!.seen.length === 0 || live[1]!.seen.length === 0); i++) await (await c.fetch('http://planner/warm')).text();
    expect(dying.seen.length).toBeGreaterThan(0);
    await dying.close();
    // Let the client see the dropped connections before the burst.
    await (await c.fetch('http://planner/after-close').catch(() => undefined))?.text();
    const results = await Promise.all(Array.from({ length: 30 }, () => c.fetch('http://planner/burst').then((r) => r.status, () => 'failed')));
    expect(results.filter((r) => r === 'failed').length).toBeLessThanOrEqual(1);
  });

  it('picks a quarantined endpoint again once the quarantine ends', async () => {
    const clock = createFakeClock();
    const dead = await refusingPort();
    const live = await backend(ok);
    const policy = orderedPolicy([dead, live.port]);
    const c = client({ services: { planner: staticTarget(dead, live.port) }, balancer: policy, clock, quarantineMs: 1000, retry: false });
    await c.fetch('http://planner/x').catch(() => undefined);
    await c.fetch('http://planner/x');
    expect(policy.log.picks.map((p) => p.exclude)).toEqual([[], [`127.0.0.1:${dead}`]]);
    await clock.advance(1000);
    await c.fetch('http://planner/x').catch(() => undefined);
    expect(policy.log.picks[2]!.exclude).toEqual([]);
  });
});
