import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '@wayfinder/core';
import { waitFor } from '../harness/processes.js';
import { startTestCluster, type TestCluster } from './cluster.js';
import { podEndpoint, slice } from './fake-api-objects.js';
import { waitForIds, watchService } from './helpers.js';

let cluster: TestCluster;
let kubeconfig: string;
const open: Resolver[] = [];
let ns = 0;

beforeAll(async () => {
  cluster = await startTestCluster({ bookmarkIntervalMs: 300 });
  kubeconfig = cluster.kubeconfig();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
afterAll(async () => {
  await cluster?.close();
});

/** A fresh namespace per test, so tests share one server without seeing each other's slices. */
function namespace(): string {
  return `t${++ns}`;
}

function start(namespace: string, extra: { portName?: string; watchTimeoutSeconds?: number } = {}) {
  const watched = watchService({ service: 'planner', namespace, env: { KUBECONFIG: kubeconfig }, ...extra });
  open.push(watched.resolver);
  return watched;
}

describe('k8s source against the fake API server (https, kubeconfig with CA data and a bearer token)', () => {
  it('lists the slices of the service and applies ADDED, MODIFIED and DELETED events', async () => {
    const n = namespace();
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1'), podEndpoint('10.0.0.2')] }));
    cluster.server.apply(slice({ name: 'other-a', service: 'other', namespace: n, endpoints: [podEndpoint('10.9.0.1')] }));
    const { resolver } = start(n);
    const first = await resolver.ready({ timeoutMs: 20_000 });
    expect(first.endpoints.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:8080', '10.0.0.2:8080']);
    expect(first.endpoints.revision).toBe(String(cluster.server.resourceVersion));

    cluster.server.apply(slice({ name: 'planner-b', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.3')] }));
    await waitForIds(resolver, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
    cluster.server.apply(
      slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1', { conditions: { ready: false, serving: true, terminating: true } })] }),
    );
    await waitForIds(resolver, ['10.0.0.1:8080', '10.0.0.3:8080']);
    expect(resolver.current!.endpoints.get('10.0.0.1:8080')).toMatchObject({ ready: false, serving: true, terminating: true });
    cluster.server.remove(n, 'planner-b');
    await waitForIds(resolver, ['10.0.0.1:8080']);
    expect(resolver.current!.endpoints.revision).toBe(String(cluster.server.resourceVersion));
  });

  it('keeps an endpoint that moves between slices, ready while either slice says so', async () => {
    const n = namespace();
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1'), podEndpoint('10.0.0.2')] }));
    const { resolver, states } = start(n);
    await resolver.ready({ timeoutMs: 20_000 });
    cluster.server.apply(slice({ name: 'planner-b', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.2'), podEndpoint('10.0.0.3')] }));
    await waitForIds(resolver, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
    const leaving = podEndpoint('10.0.0.2', { conditions: { ready: false, serving: false, terminating: true } });
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1'), leaving] }));
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1'), podEndpoint('10.0.0.4')] }));
    await waitForIds(resolver, ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080', '10.0.0.4:8080']);
    for (const s of states) expect(s.endpoints.get('10.0.0.2:8080')).toMatchObject({ ready: true, terminating: false });
    cluster.server.remove(n, 'planner-b');
    await waitForIds(resolver, ['10.0.0.1:8080', '10.0.0.4:8080']);
  });

  it('sends allowWatchBookmarks and a jittered timeoutSeconds, and resumes from the last resourceVersion when the server closes the watch', async () => {
    const n = namespace();
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1')] }));
    const before = cluster.server.watchRequests.length;
    const listsBefore = cluster.server.listCount;
    const { resolver } = start(n, { watchTimeoutSeconds: 2 });
    await resolver.ready({ timeoutMs: 20_000 });
    const mine = () => cluster.server.watchRequests.slice(before).filter((w) => w.namespace === n).map((w) => w.query);
    // With timeoutSeconds of 2-3 s the server ends each watch (after a last bookmark); wait for three watches.
    await waitFor(() => mine().length >= 3, { timeoutMs: 40_000, what: 'three watches' });
    for (const q of mine()) {
      expect(q.get('labelSelector')).toBe('kubernetes.io/service-name=planner');
      expect(q.get('allowWatchBookmarks')).toBe('true');
      expect(['2', '3']).toContain(q.get('timeoutSeconds'));
      expect(Number(q.get('resourceVersion'))).toBeGreaterThan(0);
    }
    // Each resumed watch starts where the last one's final bookmark left off, never from an old version.
    const versions = mine().map((q) => Number(q.get('resourceVersion')));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.7')] }));
    await waitForIds(resolver, ['10.0.0.7:8080']);
    // Resumed, never relisted (the tests of this file run one at a time on this server).
    expect(cluster.server.listCount - listsBefore).toBe(1);
  });

  it.each(['event', 'http'] as const)('lists again after a 410 (%s) and replaces the set at once, never publishing an empty or half set', async (mode) => {
    const n = namespace();
    const server = mode === 'event' ? cluster : await startTestCluster({ expiredAs: 'http', bookmarkIntervalMs: 300 });
    const config = mode === 'event' ? kubeconfig : server.kubeconfig();
    try {
      for (let i = 0; i < 5; i++) {
        server.server.apply(slice({ name: `planner-${i}`, service: 'planner', namespace: n, endpoints: [podEndpoint(`10.0.${i}.1`), podEndpoint(`10.0.${i}.2`)] }));
      }
      const watched = watchService({ service: 'planner', namespace: n, env: { KUBECONFIG: config } });
      open.push(watched.resolver);
      await watched.resolver.ready({ timeoutMs: 20_000 });
      const listsBefore = server.server.listCount;
      const expiredBefore = server.server.expiredCount;
      // The watch must have seen an event (a bookmark), so it resumes from its cursor instead of relisting.
      const bookmarks = server.server.bookmarkCount;
      await waitFor(() => server.server.bookmarkCount > bookmarks, { what: 'a bookmark' });
      server.server.holdWatches();
      for (let i = 0; i < 5; i++) server.server.apply(slice({ name: `planner-${i}`, service: 'planner', namespace: n, endpoints: [podEndpoint(`10.1.${i}.1`)] }));
      server.server.compact();
      server.server.endWatches();
      await waitForIds(watched.resolver, [0, 1, 2, 3, 4].map((i) => `10.1.${i}.1:8080`));
      expect(server.server.expiredCount).toBeGreaterThan(expiredBefore);
      expect(server.server.listCount).toBeGreaterThan(listsBefore);
      for (const s of watched.states) {
        const ids = s.endpoints.endpoints.map((e) => e.id);
        expect(ids.length === 10 && ids.every((id) => id.startsWith('10.0.')) || (ids.length === 5 && ids.every((id) => id.startsWith('10.1.')))).toBe(true);
      }
    } finally {
      if (mode === 'http') await server.close();
    }
  });

  it('abandons a watch that goes silent past the timeout and resumes', async () => {
    const n = namespace();
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1')] }));
    const { resolver } = start(n, { watchTimeoutSeconds: 1 });
    await resolver.ready({ timeoutMs: 20_000 });
    const before = cluster.server.watchRequests.length;
    cluster.server.setSilent(true);
    cluster.server.endWatches();
    // The silent watch is held open by the server and never ends; only the client's idle timeout (3 s) moves on.
    await waitFor(() => cluster.server.watchRequests.length - before >= 2, { timeoutMs: 30_000, what: 'a new watch after the silent one' });
    cluster.server.setSilent(false);
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.8')] }));
    await waitForIds(resolver, ['10.0.0.8:8080']);
  });

  it('survives an API server restart and sees changes made while it was down', async () => {
    const n = namespace();
    const own = await startTestCluster({ bookmarkIntervalMs: 300 });
    try {
      own.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1')] }));
      const watched = watchService({ service: 'planner', namespace: n, env: { KUBECONFIG: own.kubeconfig() } });
      open.push(watched.resolver);
      await watched.resolver.ready({ timeoutMs: 20_000 });
      const restarting = own.server.restart();
      own.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.2')] }));
      await restarting;
      await waitForIds(watched.resolver, ['10.0.0.2:8080']);
      own.server.apply(slice({ name: 'planner-b', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.3')] }));
      await waitForIds(watched.resolver, ['10.0.0.2:8080', '10.0.0.3:8080']);
      expect(watched.resolver.current!.stale).toBe(false);
    } finally {
      await own.close();
    }
  });

  it('picks the named port, and fails at once naming the ports that exist when the name is missing', async () => {
    const n = namespace();
    const ports = [
      { name: 'grpc', port: 9090, protocol: 'TCP' },
      { name: 'metrics', port: 9100, protocol: 'TCP' },
    ];
    cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: n, endpoints: [podEndpoint('10.0.0.1')], ports }));
    const named = start(n, { portName: 'metrics' });
    expect((await named.resolver.ready({ timeoutMs: 20_000 })).endpoints.endpoints.map((e) => e.id)).toEqual(['10.0.0.1:9100']);
    const missing = start(n, { portName: 'http' });
    await expect(missing.resolver.ready({ timeoutMs: 20_000 })).rejects.toThrow(`service "planner" in namespace "${n}" has no port named "http" (its ports: "grpc", "metrics")`);
    const unnamed = start(n);
    await expect(unnamed.resolver.ready({ timeoutMs: 20_000 })).rejects.toThrow(/has several ports \("grpc", "metrics"\): name one, e\.g\. k8s:\/\/t\d+\/planner:grpc/);
  });
});
