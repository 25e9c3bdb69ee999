import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type WayfinderClient } from '@wayfinder/core';
import { request } from 'undici';
import { type Backend, ok, startBackend, staticTarget } from './backends.js';

const backends: Backend[] = [];
const clients: WayfinderClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

/** True when the error (or one of its causes) is a refused connection. */
function refused(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}

/**
 * Three backends, one of which dies (listener closed, every socket destroyed) while the
 * registry (a static target) still lists it; bursts of concurrent new requests are sent at
 * once, before the client has seen the dropped connections, and again afterwards.
 */
async function killDuringBursts(send: (c: WayfinderClient) => Promise<unknown>) {
  const live = [await startBackend(ok), await startBackend(ok)];
  const dying = await startBackend(ok);
  backends.push(...live, dying);
  let refusedAttempts = 0;
  const c = createClient({
    services: { planner: staticTarget(live[0]!.port, live[1]!.port, dying.port) },
    transport: 'undici',
    retry: false,
    onAttempt: (e) => {
      if (e.outcome.failure === 'connect') refusedAttempts++;
    },
  });
  clients.push(c);
  // Warm up: keep-alive connections to every backend, several to the one that will die.
  for (let i = 0; i < 10 && dying.seen.length < 5; i++) await Promise.all(Array.from({ length: 20 }, () => send(c)));
  expect(dying.seen.length).toBeGreaterThan(0);

  const outcomes: unknown[] = [];
  const burst = () => Promise.all(Array.from({ length: 40 }, () => send(c).then(() => 'ok', (error: unknown) => error)));
  const closed = dying.close(); // synchronously closes the listener and destroys its sockets
  const first = burst(); // same tick: the client has not seen the sockets close yet
  outcomes.push(...(await first));
  await closed;
  for (let i = 0; i < 3; i++) outcomes.push(...(await burst()));
  const failures = outcomes.filter((o) => o !== 'ok');
  return { refusedFailures: failures.filter(refused).length, failures, outcomes, refusedAttempts };
}

describe('a dead endpoint still listed by the registry, without retries', () => {
  it('fails at most one new request refused by it (request path: undici.request through client.dispatcher)', async () => {
    const run = await killDuringBursts(async (c) => (await request('http://planner/x', { dispatcher: c.dispatcher })).body.text());
    expect(run.outcomes).toHaveLength(160);
    expect(run.refusedFailures).toBeLessThanOrEqual(1);
  });

  it('fails at most one new request refused by it (fetch path: client.fetch)', async () => {
    const run = await killDuringBursts(async (c) => (await c.fetch('http://planner/x')).text());
    expect(run.outcomes).toHaveLength(160);
    expect(run.refusedFailures).toBeLessThanOrEqual(1);
  });
});
