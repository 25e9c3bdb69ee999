import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary } from '../harness/binaries.js';
import { waitFor } from '../harness/processes.js';
import { startTestCluster, type TestCluster } from './cluster.js';
import { podEndpoint, slice } from './fake-api-objects.js';

// kubectl is optional (the issue: "where kubectl is installed"), and no install step can bring it
// (Debian's kubernetes-client is 1.20): findBinary's CI rule would fail the suite on a machine
// without it, so this check skips visibly instead, everywhere.
function optionalKubectl(): string | undefined {
  try {
    return findBinary('kubectl');
  } catch {
    return undefined;
  }
}
const kubectl = optionalKubectl();
let cluster: TestCluster;

beforeAll(async () => {
  if (!kubectl) return;
  cluster = await startTestCluster({ bookmarkIntervalMs: 500 });
  cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: 'agents', endpoints: [podEndpoint('10.0.0.1'), podEndpoint('10.0.0.2')] }));
  cluster.server.apply(slice({ name: 'other-a', service: 'other', namespace: 'agents', endpoints: [podEndpoint('10.9.0.1')] }));
});
afterAll(async () => {
  await cluster?.close();
});

describe.skipIf(!kubectl)(`the fake API server speaks the protocol kubectl expects${kubectl ? '' : ' (SKIPPED: kubectl is not installed)'}`, () => {
  it('kubectl get endpointslices -w lists the slices of a service over https and then watches changes', async () => {
    const kc = cluster.kubeconfig({ namespace: 'agents' });
    const args = ['--kubeconfig', kc, '--cache-dir', path.join(cluster.dir, 'kubectl-cache'), 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=planner', '-w', '--request-timeout=0'];
    const child = spawn(kubectl!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    try {
      await waitFor(() => out.includes('planner-a'), { timeoutMs: 30_000, what: `kubectl's list (stderr: ${err})` });
      const watchesBefore = cluster.server.watchRequests.length;
      await waitFor(() => cluster.server.watchRequests.length > watchesBefore || cluster.server.activeWatches > 0, { timeoutMs: 30_000, what: "kubectl's watch" });
      cluster.server.apply(slice({ name: 'planner-b', service: 'planner', namespace: 'agents', endpoints: [podEndpoint('10.0.0.3')] }));
      cluster.server.apply(slice({ name: 'planner-a', service: 'planner', namespace: 'agents', endpoints: [podEndpoint('10.0.0.1')] }));
      await waitFor(() => out.includes('planner-b') && out.trim().split('\n').length >= 4, { timeoutMs: 30_000, what: `the watched changes (stdout: ${out}; stderr: ${err})` });
      const lines = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
      expect(lines[0]).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
      expect(lines[1]!.slice(0, 4)).toEqual(['planner-a', 'IPv4', '8080', '10.0.0.1,10.0.0.2']);
      expect(lines.slice(2).map((l) => l.slice(0, 4))).toEqual([
        ['planner-b', 'IPv4', '8080', '10.0.0.3'],
        ['planner-a', 'IPv4', '8080', '10.0.0.1'],
      ]);
      expect(out).not.toContain('other-a');
      const watch = cluster.server.watchRequests.at(-1)!;
      expect(watch.namespace).toBe('agents');
      expect(Number(watch.query.get('resourceVersion'))).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('kubectl is rejected with the fake 401 Status for a wrong token', async () => {
    const kc = cluster.kubeconfig({ token: 'nope', name: 'kc-bad' });
    const child = spawn(kubectl!, ['--kubeconfig', kc, '--cache-dir', path.join(cluster.dir, 'kubectl-cache-2'), 'get', 'endpointslices'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toContain('error: You must be logged in to the server');
  });
});
