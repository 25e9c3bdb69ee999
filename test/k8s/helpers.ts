import { createResolver, type Resolver, type ResolverState } from '@wayfinder/core';
import { k8sEndpointSlices, type K8sEndpointSlicesOptions } from '@wayfinder/adapters';
import { waitFor } from '../harness/processes.js';

/** A resolver on a k8s source with a quick backoff, and every state it published, in order. */
export function watchService(options: K8sEndpointSlicesOptions): { resolver: Resolver; states: ResolverState[]; ids: () => string[] } {
  const source = k8sEndpointSlices(options);
  const resolver = createResolver({ target: source.describe(), source, backoff: { initialMs: 50, maxMs: 400 } });
  const states: ResolverState[] = [];
  resolver.subscribe((s) => states.push(s));
  const ids = () => (resolver.current?.endpoints.endpoints ?? []).map((e) => e.id);
  return { resolver, states, ids };
}

/** Waits until the resolver's current endpoint ids are exactly `expected` (sorted as snapshots are). */
export async function waitForIds(resolver: Resolver, expected: string[], what = `endpoints ${expected.join(', ')}`): Promise<void> {
  await waitFor(() => JSON.stringify((resolver.current?.endpoints.endpoints ?? []).map((e) => e.id)) === JSON.stringify(expected), { timeoutMs: 20_000, what });
}
