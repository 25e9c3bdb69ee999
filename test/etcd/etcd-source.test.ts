import { adapterSchemes, etcdSource } from '@wayfinder/adapters';
import {
  coreSchemes,
  createResolver,
  type Resolver,
  type ResolverState,
  ResourceExpiredError,
  type Source,
  type SourceContext,
  type WatchEvent,
} from '@wayfinder/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_BINARY, type EtcdServer, startEtcd } from '../harness/etcd.js';
import { freePort } from '../harness/ports.js';
import { until } from '../harness/source-contract.js';

const schemes = { ...coreSchemes, ...adapterSchemes };
const FAST_BACKOFF = { initialMs: 50, maxMs: 400 };
const ids = (s: ResolverState) => s.endpoints.endpoints.map((e) => e.id).sort();

describe.skipIf(ETCD_BINARY === undefined)('etcd source against etcd 3.4', () => {
  let etcd: EtcdServer;
  let n = 0;
  const freshPrefix = () => `services/t${++n}/`;
  const resolverFor = (target: string): Resolver => createResolver({ target, schemes, backoff: FAST_BACKOFF });

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('shows a put, a delete and a lease expiry in a watching resolver', async () => {
    const prefix = freshPrefix();
    await etcd.put(`${prefix}a`, { address: '10.0.0.1', port: 80 });
    const resolver = resolverFor(`etcd://${etcd.hostPort}/${prefix}`);
    try {
      expect(ids(await resolver.ready({ timeoutMs: 20_000 }))).toEqual([`${prefix}a`]);
      await etcd.put(`${prefix}b`, { address: '10.0.0.2', port: 80 });
      await until(resolver, (s) => ids(s).join() === `${prefix}a,${prefix}b`);
      await etcd.del(`${prefix}a`);
      await until(resolver, (s) => ids(s).join() === `${prefix}b`);
      // The shortest lease etcd grants with these election settings is well under 2 s.
      const lease = await etcd.grantLease(1);
      await etcd.put(`${prefix}c`, { address: '10.0.0.3', port: 80 }, { lease });
      const withLease = await until(resolver, (s) => ids(s).includes(`${prefix}c`));
      expect(withLease.endpoints.endpoints.find((e) => e.id === `${prefix}c`)!.metadata).toEqual({ etcd: { key: `${prefix}c`, lease } });
      await until(resolver, (s) => !ids(s).includes(`${prefix}c`), 20_000);
      expect(ids(resolver.current!)).toEqual([`${prefix}b`]);
      expect(resolver.current!.stale).toBe(false);
    } finally {
      await resolver.close();
    }
  });

  it('reads Wayfinder endpoint JSON and etcd naming updates ({"Op":0,"Addr":…}) side by side', async () => {
    const prefix = freshPrefix();
    await etcd.put(`${prefix}wf`, { address: '10.0.0.1', port: 8080, weight: 5, zone: 'z1', metadata: { version: '2' } });
    await etcd.put(`${prefix}10.0.0.2:9090`, { Op: 0, Addr: '10.0.0.2:9090', Metadata: { region: 'eu' } });
    const resolver = resolverFor(`etcd://${etcd.hostPort}/${prefix}`);
    try {
      const state = await resolver.ready({ timeoutMs: 20_000 });
      const wf = state.endpoints.endpoints.find((e) => e.id === `${prefix}wf`)!;
      expect(wf).toMatchObject({ address: '10.0.0.1', port: 8080, weight: 5, zone: 'z1', ready: true, metadata: { version: '2', etcd: { key: `${prefix}wf` } } });
      const go = state.endpoints.endpoints.find((e) => e.id === `${prefix}10.0.0.2:9090`)!;
      expect(go).toMatchObject({ address: '10.0.0.2', port: 9090, weight: 1, metadata: { naming: { region: 'eu' } } });
      // Op 1 (naming.Delete) written as a value withdraws the address, as the Go resolver does.
      await etcd.put(`${prefix}10.0.0.2:9090`, { Op: 1, Addr: '10.0.0.2:9090' });
      await until(resolver, (s) => ids(s).join() === `${prefix}wf`);
      await etcd.put(`${prefix}10.0.0.3:9090`, { Addr: '10.0.0.3:9090' });
      await until(resolver, (s) => s.endpoints.endpoints.some((e) => e.address === '10.0.0.3' && e.port === 9090));
    } finally {
      await resolver.close();
    }
  });

  it('keeps the last good set, stale and naming the key, while a value is invalid, then resumes', async () => {
    const prefix = freshPrefix();
    await etcd.put(`${prefix}a`, { address: '10.0.0.1', port: 80 });
    const resolver = resolverFor(`etcd://${etcd.hostPort}/${prefix}`);
    const seen: string[][] = [];
    try {
      await resolver.ready({ timeoutMs: 20_000 });
      resolver.subscribe((s) => seen.push(ids(s)));
      await etcd.put(`${prefix}bad`, { address: '10.0.0.2', port: 99999 });
      const stale = await until(resolver, (s) => s.stale);
      expect(ids(stale)).toEqual([`${prefix}a`]);
      expect(stale.error?.message).toContain(`key "${prefix}bad"`);
      expect(stale.error?.message).toContain('port');
      // Changes to other keys are not applied while the bad value stays: never a partial set.
      await etcd.put(`${prefix}c`, 'not json');
      await etcd.del(`${prefix}a`);
      await etcd.put(`${prefix}bad`, { address: '10.0.0.2', port: 80 });
      await etcd.put(`${prefix}c`, { Op: 0, Addr: '10.0.0.3:80' });
      const good = await until(resolver, (s) => !s.stale, 20_000);
      expect(ids(good)).toEqual([`${prefix}bad`, `${prefix}c`]);
      expect(seen.every((set) => set.join() === `${prefix}a` || set.join() === `${prefix}bad,${prefix}c`)).toBe(true);
    } finally {
      await resolver.close();
    }
  });

  it('lists again after a compaction, and the subscriber never sees an intermediate set', async () => {
    const prefix = freshPrefix();
    await etcd.put(`${prefix}a`, { address: '10.0.0.1', port: 80 });
    await etcd.put(`${prefix}b`, { address: '10.0.0.2', port: 80 });
    const inner = etcdSource({ members: [etcd.url], prefix });
    // The first watch ends after its first event; the next one waits until the history it
    // would resume from has been changed and compacted away.
    let gate!: () => void;
    const opened = new Promise<void>((resolve) => (gate = resolve));
    const thrown: unknown[] = [];
    let watches = 0;
    const source: Source = {
      describe: () => inner.describe(),
      list: (context) => inner.list(context),
      async *watch(cursor: string | undefined, context: SourceContext): AsyncIterable<WatchEvent> {
        if (++watches === 1) {
          for await (const event of inner.watch!(cursor, context)) {
            yield event;
            return;
          }
        }
        await opened;
        try {
          yield* inner.watch!(cursor, context);
        } catch (error) {
          thrown.push(error);
          throw error;
        }
      },
      close: () => inner.close!(),
    };
    const resolver = createResolver({ target: `etcd://${etcd.hostPort}/${prefix}`, source, backoff: FAST_BACKOFF });
    const seen: string[] = [];
    try {
      await resolver.ready({ timeoutMs: 20_000 });
      resolver.subscribe((s) => seen.push(ids(s).join()));
      await etcd.del(`${prefix}a`);
      await etcd.put(`${prefix}c`, { address: '10.0.0.3', port: 80 });
      await etcd.del(`${prefix}b`);
      await etcd.put(`${prefix}d`, { address: '10.0.0.4', port: 80 });
      await etcd.compact();
      gate();
      await until(resolver, (s) => ids(s).join() === `${prefix}c,${prefix}d`, 20_000);
      expect(thrown.some((e) => e instanceof ResourceExpiredError)).toBe(true);
      expect((thrown.find((e) => e instanceof ResourceExpiredError) as Error).message).toContain('compacted');
      expect(seen).toEqual([`${prefix}a,${prefix}b`, `${prefix}c,${prefix}d`]);
    } finally {
      await resolver.close();
    }
  });

  it('survives a killed and restarted etcd: last good set kept and stale, then resumed with the changes', async () => {
    const own = await startEtcd();
    const prefix = 'services/restart/';
    await own.put(`${prefix}a`, { address: '10.0.0.1', port: 80 });
    const resolver = resolverFor(`etcd://${own.hostPort}/${prefix}`);
    try {
      await resolver.ready({ timeoutMs: 20_000 });
      await own.kill();
      const stale = await until(resolver, (s) => s.stale, 20_000);
      expect(ids(stale)).toEqual([`${prefix}a`]);
      expect(stale.error?.message).toMatch(/etcd|ECONNREFUSED|watch/);
      await own.restart();
      await own.put(`${prefix}b`, { address: '10.0.0.2', port: 80 });
      const resumed = await until(resolver, (s) => !s.stale && ids(s).length === 2, 20_000);
      expect(ids(resumed)).toEqual([`${prefix}a`, `${prefix}b`]);
      await own.del(`${prefix}a`);
      await until(resolver, (s) => ids(s).join() === `${prefix}b`);
    } finally {
      await resolver.close();
      await own.stop();
    }
  });

  it('fails over to the next member when the first one is down', async () => {
    const prefix = freshPrefix();
    await etcd.put(`${prefix}a`, { address: '10.0.0.1', port: 80 });
    const dead = await freePort();
    const resolver = resolverFor(`etcd://127.0.0.1:${dead},${etcd.hostPort}/${prefix}`);
    try {
      const state = await resolver.ready({ timeoutMs: 20_000 });
      expect(ids(state)).toEqual([`${prefix}a`]);
      await etcd.put(`${prefix}b`, { address: '10.0.0.2', port: 80 });
      const next = await until(resolver, (s) => ids(s).length === 2);
      expect(next.stale).toBe(false);
    } finally {
      await resolver.close();
    }
  });

  it('reports every member when none answers', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const source = etcdSource({ members: [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`], prefix: 'x/' });
    try {
      const signal = new AbortController().signal;
      const error = await source.list({ signal, clock: (await import('@wayfinder/core')).systemClock, random: Math.random }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(new RegExp(`no etcd member answered /v3/kv/range .*127\\.0\\.0\\.1:${p1}.*ECONNREFUSED.*127\\.0\\.0\\.1:${p2}.*ECONNREFUSED`));
    } finally {
      await source.close?.();
    }
  });

  it('moves its cursor on progress notifications (bookmarks) from a server that sends them', async () => {
    const notifying = await startEtcd({ progressNotifyInterval: '200ms' });
    const source = etcdSource({ members: [notifying.url], prefix: 'p/', progressNotifyMs: 200 });
    const controller = new AbortController();
    try {
      const listed = await source.list({ signal: controller.signal, clock: (await import('@wayfinder/core')).systemClock, random: Math.random });
      await notifying.put('elsewhere', 'x');
      const events: WatchEvent[] = [];
      for await (const event of source.watch!(listed.cursor, { signal: controller.signal, clock: (await import('@wayfinder/core')).systemClock, random: Math.random })) {
        events.push(event);
        if (event.type === 'bookmark') break;
      }
      expect(events[0]).toEqual({ type: 'heartbeat' });
      const bookmark = events.at(-1) as { type: 'bookmark'; cursor: string };
      expect(BigInt(bookmark.cursor)).toBeGreaterThan(BigInt(listed.cursor!));
      expect(source.idleTimeoutMs).toBe(2 * 200 + 5000);
    } finally {
      controller.abort();
      await source.close?.();
      await notifying.stop();
    }
  });
});
