import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWayfinder } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from './cluster.js';
import { podEndpoint, slice } from './fake-api-objects.js';


let cluster: TestCluster;
let kubeconfig: string;

beforeAll(async () => {
  cluster = await startTestCluster({ bookmarkIntervalMs: 500 });
  kubeconfig = cluster.kubeconfig({ namespace: 'agents' });
  cluster.server.apply(
    slice({
      name: 'planner-a',
      service: 'planner',
      namespace: 'agents',
      endpoints: [podEndpoint('10.0.0.1', { hostname: 'planner-0', zone: 'zone-a', nodeName: 'node-a' })],
      ports: [
        { name: 'grpc', port: 9090, protocol: 'TCP' },
        { name: 'metrics', port: 9100, protocol: 'TCP' },
      ],
    }),
  );
  cluster.server.apply(
    slice({
      name: 'scout-a',
      service: 'scout',
      namespace: 'agents',
      endpoints: [podEndpoint('10.0.1.1')],
      ports: [
        { name: 'grpc', port: 9090, protocol: 'TCP' },
        { name: 'metrics', port: 9100, protocol: 'TCP' },
      ],
    }),
  );
});
afterAll(async () => {
  await cluster?.close();
});

/** Runs `wayfinder` as a user would, with KUBECONFIG pointing at the fake cluster. */
function wayfinder(args: string[], onLine?: (line: string, n: number) => void) {
  return runWayfinder(args, { env: { KUBECONFIG: kubeconfig }, timeoutMs: 45_000, ...(onLine ? { onLine } : {}) });
}

describe('wayfinder CLI on k8s:// targets (fake API server over https, KUBECONFIG)', () => {
  it('wayfinder watch --json prints every change: a new slice, a terminating endpoint, a deleted slice', async () => {
    const steps = [
      () => cluster.server.apply(slice({ name: 'planner-b', service: 'planner', namespace: 'agents', endpoints: [podEndpoint('10.0.0.2')], ports: [{ name: 'grpc', port: 9090 }] })),
      () =>
        cluster.server.apply(
          slice({
            name: 'planner-a',
            service: 'planner',
            namespace: 'agents',
            endpoints: [podEndpoint('10.0.0.1', { hostname: 'planner-0', zone: 'zone-a', nodeName: 'node-a', conditions: { ready: false, serving: true, terminating: true } })],
            ports: [{ name: 'grpc', port: 9090 }],
          }),
        ),
      () => cluster.server.remove('agents', 'planner-b'),
    ];
    const run = await wayfinder(['watch', 'k8s://planner:grpc', '--json', '--count', '4'], (_line, n) => steps[n]?.());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const snapshots = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(snapshots).toHaveLength(4);
    for (const s of snapshots) expect(Object.keys(s)).toEqual(['target', 'revision', 'stale', 'endpoints']);
    expect(snapshots[0]).toEqual({
      target: 'k8s://planner:grpc',
      revision: expect.any(String),
      stale: false,
      endpoints: [
        { id: '10.0.0.1:9090', address: '10.0.0.1', port: 9090, hostname: 'planner-0', weight: 1, priority: 0, zone: 'zone-a', node: 'node-a', ready: true, serving: true, terminating: false },
      ],
    });
    expect(snapshots[1].endpoints.map((e: { id: string }) => e.id)).toEqual(['10.0.0.1:9090', '10.0.0.2:9090']);
    expect(snapshots[2].endpoints[0]).toMatchObject({ id: '10.0.0.1:9090', ready: false, serving: true, terminating: true });
    expect(snapshots[3].endpoints.map((e: { id: string }) => e.id)).toEqual(['10.0.0.1:9090']);
    const revisions = snapshots.map((s) => Number(s.revision));
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
  });

  it('wayfinder resolve exits 1 naming the ports that exist when the port name is missing', async () => {
    const run = await wayfinder(['resolve', 'k8s://scout:http']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('wayfinder resolve: k8s://scout:http: service "scout" in namespace "agents" has no port named "http" (its ports: "grpc", "metrics")');
  });
});
