import { adapterSchemes } from '@wayfinder/adapters';
import { peakEwma, withTopology } from '@wayfinder/balancer';
import { coreSchemes, createClient, type ClientOptions, type WayfinderClient } from '@wayfinder/core';

export interface ZoneAwareAgentOptions {
  /** Where the planner lives, e.g. `k8s://agents/planner:http` (add `?kubeconfig=…` or `?api=…`). */
  plannerTarget: string;
  /** This agent's zone (in a pod: from the node's `topology.kubernetes.io/zone` label, via the downward API). */
  zone: string;
  /** Other scheme factories; default core + adapters. */
  schemes?: ClientOptions['schemes'];
}

export interface Answer {
  answeredBy: string;
  zone: string;
  answer: string;
}

export interface ZoneAwareAgent {
  ask(question: string): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * An agent that calls the planner service through `client.fetch` and Kubernetes EndpointSlices,
 * preferring planner pods in its own zone (`trafficDistribution: PreferSameZone` semantics:
 * same-zone ready endpoints, else every ready endpoint), peak EWMA among them.
 */
export function createZoneAwareAgent(options: ZoneAwareAgentOptions): ZoneAwareAgent {
  const client: WayfinderClient = createClient({
    services: { planner: options.plannerTarget },
    schemes: options.schemes ?? { ...coreSchemes, ...adapterSchemes },
    balancer: withTopology(peakEwma(), { mode: 'prefer-zone', zone: options.zone }),
    timeoutMs: 10_000,
  });
  return {
    async ask(question) {
      const res = await client.fetch(`http://planner/v1/answer?q=${encodeURIComponent(question)}`);
      if (!res.ok) throw new Error(`planner answered ${res.status}`);
      return (await res.json()) as Answer;
    },
    close: () => client.close(),
  };
}
