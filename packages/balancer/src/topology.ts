import { type Endpoint, InvalidOptionError } from '@wayfinder/core';

/**
 * Topology-aware routing, after Kubernetes Services
 * (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-distribution,
 * https://kubernetes.io/docs/concepts/services-networking/service-traffic-policy/):
 *
 * - `prefer-zone` (`trafficDistribution: PreferSameZone`): endpoints in the caller's zone, or
 *   all when fewer than `minLocal` are there. When every candidate carries `hints.forZones`,
 *   the hints decide what is local (topology-aware hints) instead of `endpoint.zone`.
 * - `prefer-node` (`PreferSameNode`): the caller's node, then its zone, then all.
 * - `node-local` (`internalTrafficPolicy: Local`): only the caller's node; when none is there
 *   the pick is unavailable (`none-local`) instead of leaving the node.
 *
 * @example
 * withTopology(roundRobin(), { mode: 'prefer-zone', zone: 'eu-west-1a' })
 */
export interface TopologyOptions {
  mode?: 'prefer-zone' | 'prefer-node' | 'node-local';
  /** The caller's zone (required by `prefer-zone`). */
  zone?: string;
  /** The caller's node (required by `prefer-node` and `node-local`). */
  node?: string;
  /** Fewer local candidates than this counts as "too small": fall back to the wider set. Default 1. */
  minLocal?: number;
}

export interface ResolvedTopology {
  readonly mode: 'prefer-zone' | 'prefer-node' | 'node-local';
  readonly zone: string | undefined;
  readonly node: string | undefined;
  readonly minLocal: number;
}

export function resolveTopology(options: TopologyOptions): ResolvedTopology {
  const mode = options.mode ?? (options.zone !== undefined ? 'prefer-zone' : 'prefer-node');
  if (mode !== 'prefer-zone' && mode !== 'prefer-node' && mode !== 'node-local') {
    throw new InvalidOptionError('topology.mode', mode, 'must be "prefer-zone", "prefer-node" or "node-local"');
  }
  if (mode === 'prefer-zone' && (typeof options.zone !== 'string' || options.zone === '')) {
    throw new InvalidOptionError('topology.zone', options.zone, 'must be the caller\'s zone for mode "prefer-zone"');
  }
  if (mode !== 'prefer-zone' && (typeof options.node !== 'string' || options.node === '')) {
    throw new InvalidOptionError('topology.node', options.node, `must be the caller's node for mode "${mode}"`);
  }
  const minLocal = options.minLocal ?? 1;
  if (!Number.isInteger(minLocal) || minLocal < 1) throw new InvalidOptionError('topology.minLocal', minLocal, 'must be an integer ≥ 1');
  return { mode, zone: options.zone, node: options.node, minLocal };
}

/** The candidates topology keeps, or undefined when `node-local` finds none on the node. */
export function applyTopology(candidates: readonly Endpoint[], topology: ResolvedTopology): readonly Endpoint[] | undefined {
  const { mode, zone, node, minLocal } = topology;
  if (mode === 'node-local') {
    const local = candidates.filter((e) => e.node === node);
    return local.length > 0 ? local : undefined;
  }
  if (mode === 'prefer-node') {
    const local = candidates.filter((e) => e.node === node);
    if (local.length >= minLocal) return local;
  }
  if (zone !== undefined) {
    const useHints = candidates.every((e) => e.hints?.forZones !== undefined);
    const local = candidates.filter((e) => (useHints ? e.hints!.forZones!.includes(zone) : e.zone === zone));
    if (local.length >= minLocal) return local;
  }
  return candidates;
}
