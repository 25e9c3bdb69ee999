import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFakeClock, createFakeSource, type FakeSource } from './fake/index.js';
import { createResolver, type ResolverOptions, type ResolverState } from './resolver.js';
import { createResolverPool } from './resolver-pool.js';
import { seededRandom } from './random.js';
import { ClosedError, ResolveTimeoutError, SourceError } from './errors.js';
import type { SchemeMap } from './target.js';

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};

function setup(source: FakeSource, options: Partial<ResolverOptions> = {}) {
  const clock = createFakeClock();
  const resolver = createResolver({ target: 'fake://svc', source, clock, random: seededRandom(7), backoff: { jitter: 0 }, ...options });
  const seen: ResolverState[] = [];
  resolver.subscribe((s) => seen.push(s));
  return { clock, resolver, seen };
}

const ep = (n: number) => ({ address: `10.0.0.${n}`, port: 80 });
const addresses = (s: ResolverState | undefined) => s?.endpoints.endpoints.map((e) => e.address);

describe('createResolver', () => {
  it('publishes the first list, sorted by address then port, and becomes ready', async () => {
    const source = createFakeSource({ endpoints: [ep(2), ep(1), { address: '10.0.0.1', port: 79 }] });
    const { resolver } = setup(source);
    const state = await resolver.ready();
    expect(state.endpoints.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:79', '10.0.0.1:80', '10.0.0.2:80']);
    expect(state.stale).toBe(false);
    expect(state.error).toBeNull();
    expect(state.lastSyncAt).toBeTypeOf('number');
    expect(Object.isFrozen(state.endpoints.endpoints)).toBe(true);
    await resolver.close();
  });

  it('keeps the last good set when the registry fails, marks it stale, and clears stale on recovery', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    const { clock, resolver, seen } = setup(source);
    await resolver.ready();
    const syncedAt = resolver.current!.lastSyncAt;
    source.breakLists();
    await settle();
    expect(seen.at(-1)).toMatchObject({ stale: true, lastSyncAt: syncedAt });
    expect(addresses(seen.at(-1))).toEqual(['10.0.0.1']);
    expect(seen.at(-1)!.error).toBeInstanceOf(SourceError);
    // Further failed relists keep the set.
    await clock.advance(800);
    await clock.advance(1600);
    expect(addresses(resolver.current)).toEqual(['10.0.0.1']);
    expect(resolver.current!.stale).toBe(true);
    source.recover();
    await clock.advance(3200);
    expect(seen.at(-1)).toMatchObject({ stale: false, error: null });
    await resolver.close();
  });

  it('grows the reconnect delay exponentially up to the maximum', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    source.breakLists();
    const { clock, resolver } = setup(source, { backoff: { jitter: 0, initialMs: 800, maxMs: 30_000 } });
    const delays: number[] = [];
    await settle();
    for (let i = 0; i < 8; i++) {
      const [next] = clock.pendingDelays();
      delays.push(next!);
      await clock.advance(next!);
    }
    expect(delays).toEqual([800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    expect(source.listCount).toBe(9);
    await resolver.close();
  });

  it('jitters the delay within ±50% with the default jitter, from the injected random', async () => {
    const source = createFakeSource();
    source.breakLists();
    const { clock, resolver } = setup(source, { backoff: { jitter: 1 } });
    await settle();
    const [first] = clock.pendingDelays();
    expect(first).toBeGreaterThanOrEqual(400);
    expect(first).toBeLessThanOrEqual(1200);
    expect(first).not.toBe(800);
    await resolver.close();
  });

  it('resets the delay after a healthy period, but not after a short one', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    source.breakLists();
    const { clock, resolver } = setup(source);
    await settle();
    await clock.advance(800); // fails again: next 1600
    await clock.advance(1600); // next 3200
    source.recover();
    await clock.advance(3200); // healthy from here
    expect(resolver.current?.stale).toBe(false);
    await clock.advance(1000);
    source.fail(); // after 1 s of health: the delay keeps growing
    await settle();
    expect(clock.pendingDelays()[0]).toBe(6400);
    await clock.advance(6400);
    await clock.advance(121_000); // 2 min healthy
    source.fail();
    await settle();
    expect(clock.pendingDelays()[0]).toBe(800);
    await resolver.close();
  });

  it('lists again at once when the watch position expires, and replaces the set atomically', async () => {
    const source = createFakeSource({ endpoints: [ep(1), ep(2)] });
    const { resolver, seen, clock } = setup(source);
    await resolver.ready();
    await settle();
    const before = seen.length;
    // The registry changed while the watch was broken: the relist brings the new whole set.
    source.push([ep(3)]);
    await settle();
    source.expire();
    await settle();
    expect(source.listCount).toBe(2);
    expect(clock.pendingDelays()).toEqual([]); // no backoff for an expiry
    expect(seen.slice(before).every((s) => s.endpoints.size > 0)).toBe(true);
    expect(addresses(resolver.current)).toEqual(['10.0.0.3']);
    expect(source.openWatches).toBe(1);
    await resolver.close();
  });

  it('coalesces changes that arrive together into one snapshot (no intermediate state)', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    const { resolver, seen } = setup(source);
    await resolver.ready();
    await settle();
    const before = seen.length;
    source.push({ remove: ['10.0.0.1:80'] });
    source.push({ upsert: [ep(2)] });
    source.push({ upsert: [ep(3)] });
    await settle();
    const published = seen.slice(before);
    expect(published).toHaveLength(1);
    expect(addresses(published[0])).toEqual(['10.0.0.2', '10.0.0.3']);
    await resolver.close();
  });

  it('resumes a watch that the registry ends normally, without listing again', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    const { resolver } = setup(source);
    await resolver.ready();
    source.push({ upsert: [ep(2)] });
    await settle();
    source.end();
    await settle();
    expect(source.watchCount).toBe(2);
    expect(source.listCount).toBe(1);
    source.push({ upsert: [ep(3)] });
    await settle();
    expect(addresses(resolver.current)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    await resolver.close();
  });

  it('abandons a watch that goes silent past the idle timeout and resumes it', async () => {
    const source = createFakeSource({ endpoints: [ep(1)], idleTimeoutMs: 5000 });
    const { resolver, clock } = setup(source);
    await resolver.ready();
    await clock.advance(4000);
    source.heartbeat(); // keeps it alive
    await clock.advance(4000);
    expect(source.watchCount).toBe(1);
    await clock.advance(1500);
    expect(source.watchCount).toBe(2);
    expect(source.openWatches).toBe(1);
    expect(source.listCount).toBe(1);
    await resolver.close();
  });

  it('keeps the last good set when the registry sends invalid data (duplicate ids)', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    const { resolver } = setup(source);
    await resolver.ready();
    source.push([ep(2), ep(2)]);
    await settle();
    expect(addresses(resolver.current)).toEqual(['10.0.0.1']);
    expect(resolver.current!.stale).toBe(true);
    expect(resolver.current!.error?.code).toBe('WF_ERR_INVALID_ENDPOINT');
    await resolver.close();
  });

  it('polls sources without a watch at the interval they ask for', async () => {
    const source = createFakeSource({ endpoints: [ep(1)], pollMs: 5000 });
    const { resolver, clock } = setup(source);
    await resolver.ready();
    expect(clock.pendingDelays()).toEqual([5000]);
    source.push([ep(2)]);
    await clock.advance(5000);
    expect(source.listCount).toBe(2);
    expect(addresses(resolver.current)).toEqual(['10.0.0.2']);
    await resolver.close();
  });

  it('does not publish again when a poll returns the same endpoints', async () => {
    const source = createFakeSource({ endpoints: [ep(1)], pollMs: 1000 });
    const { resolver, clock, seen } = setup(source);
    await resolver.ready();
    await settle();
    const before = seen.length;
    await clock.advance(1000);
    await clock.advance(1000);
    expect(source.listCount).toBe(3);
    expect(seen.length).toBe(before);
    await resolver.close();
  });

  it('rejects ready() with a timeout error naming the target and the last error', async () => {
    const source = createFakeSource();
    source.breakLists(new SourceError('fake://svc', 'connection refused'));
    const { resolver, clock } = setup(source);
    const ready = resolver.ready({ timeoutMs: 2000 });
    const caught = ready.catch((e: unknown) => e);
    await clock.advance(2000);
    const error = (await caught) as ResolveTimeoutError;
    expect(error).toBeInstanceOf(ResolveTimeoutError);
    expect(error.message).toContain('fake://svc');
    expect(error.message).toContain('connection refused');
    expect(error.cause).toBeInstanceOf(SourceError);
    await resolver.close();
  });

  it('rejects ready() with the signal reason when aborted', async () => {
    const source = createFakeSource();
    source.breakLists();
    const { resolver } = setup(source);
    const controller = new AbortController();
    const ready = resolver.ready({ signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(ready).rejects.toThrow('caller gave up');
    await resolver.close();
  });

  it('fails ready() at once on a permanent source error', async () => {
    const source = createFakeSource();
    source.breakLists(new SourceError('fake://svc', 'forbidden', { permanent: true }));
    const { resolver } = setup(source);
    await expect(resolver.ready({ timeoutMs: 60_000 })).rejects.toThrow('forbidden');
    await resolver.close();
  });

  it('close() is idempotent, rejects pending ready() calls and stops every timer', async () => {
    const source = createFakeSource();
    source.breakLists();
    const { resolver, clock } = setup(source, { backoff: { jitter: 0 } });
    const ready = resolver.ready({ timeoutMs: 10_000 });
    await settle();
    expect(clock.pendingTimers).toBeGreaterThan(0);
    await Promise.all([resolver.close(), resolver.close()]);
    await expect(ready).rejects.toBeInstanceOf(ClosedError);
    expect(clock.pendingTimers).toBe(0);
    expect(source.openWatches).toBe(0);
    await expect(resolver.ready()).rejects.toBeInstanceOf(ClosedError);
  });

  it('yields states through async iteration until closed', async () => {
    const source = createFakeSource({ endpoints: [ep(1)] });
    const { resolver } = setup(source);
    const got: string[][] = [];
    const done = (async () => {
      for await (const s of resolver) got.push(addresses(s)!);
    })();
    await resolver.ready();
    await settle();
    source.push({ upsert: [ep(2)] });
    await settle();
    await resolver.close();
    await done;
    expect(got).toEqual([['10.0.0.1'], ['10.0.0.1', '10.0.0.2']]);
  });

  const runChild = (script: string) =>
    spawnSync(process.execPath, ['--conditions=@wayfinder/source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      timeout: 30_000,
      encoding: 'utf8',
    });

  it('never keeps the process alive with its background work (timers are unref’ed)', () => {
    // A resolver retrying an unreachable file, with nobody waiting on it: the process exits.
    const result = runChild(`
      import { createResolver } from '@wayfinder/core';
      createResolver({ target: 'file:///nonexistent/wayfinder/endpoints.json' });
      setTimeout(() => {}, 50);
    `);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
  });

  it('keeps the process alive while a caller awaits ready(), until it settles', () => {
    const result = runChild(`
      import { createResolver } from '@wayfinder/core';
      const r = createResolver({ target: 'file:///nonexistent/wayfinder/endpoints.json' });
      try { await r.ready({ timeoutMs: 300 }); } catch (e) { console.log(e.code); }
      await r.close();
    `);
    expect(result.error).toBeUndefined();
    expect(result.stdout.trim()).toBe('WF_ERR_RESOLVE_TIMEOUT');
    expect(result.status).toBe(0);
  });
});

describe('createResolverPool', () => {
  it('shares one source and one watch among many subscribers of a target', async () => {
    let created = 0;
    let closed = 0;
    const source = createFakeSource({ endpoints: [ep(1)] });
    const schemes: SchemeMap = {
      fake: () => {
        created++;
        return { ...source, watch: source.watch, list: source.list, describe: source.describe, close: () => void closed++ };
      },
    };
    const pool = createResolverPool({ schemes, clock: createFakeClock(), random: seededRandom(1) });
    const handles = [pool.acquire('fake://svc'), pool.acquire('fake://svc'), pool.acquire('fake://svc')];
    const states = await Promise.all(handles.map((h) => h.ready()));
    expect(states.every((s) => s.endpoints.size === 1)).toBe(true);
    expect(created).toBe(1);
    expect(source.listCount).toBe(1);
    expect(source.watchCount).toBe(1);
    expect(pool.size).toBe(1);
    await handles[0]!.close();
    await handles[1]!.close();
    expect(pool.size).toBe(1);
    await handles[2]!.close();
    expect(pool.size).toBe(0);
    expect(closed).toBe(1);
    expect(source.openWatches).toBe(0);
    await pool.close();
  });
});
