import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podEndpoint, slice } from '../../../test/k8s/fake-api-objects.js';
import { startTestCluster, type TestCluster } from '../../../test/k8s/cluster.js';
import { waitFor } from '../../../test/harness/processes.js';
import { createZoneAwareAgent, type ZoneAwareAgent } from '../src/agent.js';
import { type PlannerAgent, startPlannerAgent } from '../src/planner.js';

// The fake API server of test/k8s (https, a CA and a bearer token in a kubeconfig) publishes
// one EndpointSlice per planner pod: all pods are 127.0.0.1, each on its own port.
describe('fetch-k8s example (k8s:// against the fake API server, planners on 127.0.0.1)', () => {
  let cluster: TestCluster;
  let planners: PlannerAgent[] = [];
  let agent: ZoneAwareAgent;

  const publish = (ready: (p: PlannerAgent) => boolean) => {
    for (const p of planners) {
      cluster.server.apply(
        slice({
          name: `planner-${p.name}`,
          service: 'planner',
          namespace: 'agents',
          endpoints: [podEndpoint('127.0.0.1', { zone: p.zone, nodeName: `node-${p.zone}`, conditions: { ready: ready(p), serving: ready(p), terminating: false } })],
          ports: [{ name: 'http', port: p.port, protocol: 'TCP' }],
        }),
      );
    }
  };
  const ask = async (n: number) => {
    const zones: string[] = [];
    for (let i = 0; i < n; i++) zones.push((await agent.ask(`q${i}`)).zone);
    return zones;
  };

  beforeAll(async () => {
    cluster = await startTestCluster();
    planners = await Promise.all([
      startPlannerAgent({ name: 'a1', zone: 'zone-a' }),
      startPlannerAgent({ name: 'a2', zone: 'zone-a' }),
      startPlannerAgent({ name: 'b1', zone: 'zone-b' }),
    ]);
    publish(() => true);
    agent = createZoneAwareAgent({ plannerTarget: `k8s://agents/planner:http?kubeconfig=${cluster.kubeconfig()}`, zone: 'zone-a' });
  });

  afterAll(async () => {
    await agent?.close();
    await Promise.all(planners.map((p) => p.close()));
    await cluster?.close();
  });

  it('sends every call to planners in its own zone while they are ready', async () => {
    const zones = await ask(30);
    expect(zones).toEqual(Array(30).fill('zone-a'));
    expect(planners.find((p) => p.name === 'b1')!.answered).toBe(0);
  });

  it('falls back to the other zone when no planner of its zone is ready, and comes back', async () => {
    publish((p) => p.zone !== 'zone-a');
    await waitFor(async () => (await agent.ask('probe')).zone === 'zone-b', { timeoutMs: 20_000, what: 'calls to reach zone-b' });
    expect(await ask(10)).toEqual(Array(10).fill('zone-b'));

    publish(() => true);
    await waitFor(async () => (await agent.ask('probe')).zone === 'zone-a', { timeoutMs: 20_000, what: 'calls to return to zone-a' });
    expect(await ask(10)).toEqual(Array(10).fill('zone-a'));
  });
});
