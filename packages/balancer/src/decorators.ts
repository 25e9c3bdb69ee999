import { type BalancerPolicy, InvalidOptionError } from '@wayfinder/core';
import { type OutlierDetectionOptions, resolveOutlierDetection } from './outlier-detection.js';
import { type PipelinePolicy, type PipelineStack, createPipelinePolicy, isPipelinePolicy } from './pipeline.js';
import { type TopologyOptions, resolveTopology } from './topology.js';

/**
 * Decorators return a new policy with the same algorithm and one filter of the pipeline changed.
 * They compose in any order; the filters always apply in one order per snapshot: priority
 * group → readiness (terminating fallback) → ejection → panic threshold → positive weights →
 * topology → the policy's algorithm (see `docs/balancer.md`).
 *
 * @example
 * const policy = withOutlierDetection(withTopology(leastRequest(), { zone: 'eu-west-1a' }));
 */
function restack(policy: BalancerPolicy, change: Partial<PipelineStack>): PipelinePolicy {
  if (!isPipelinePolicy(policy)) {
    throw new InvalidOptionError('policy', policy, 'must be a policy of @wayfinder/balancer (random(), roundRobin(), …)');
  }
  return createPipelinePolicy(policy.core, Object.freeze({ ...policy.stack, ...change }));
}

/** Ready endpoints only, else serving-but-terminating ones (on by default); `false` turns it off. */
export function withReadiness(policy: BalancerPolicy, enabled = true): PipelinePolicy {
  return restack(policy, { readiness: enabled });
}

/** The lowest priority group that has a healthy endpoint (on by default); `false` turns it off. */
export function withPriority(policy: BalancerPolicy, enabled = true): PipelinePolicy {
  return restack(policy, { priority: enabled });
}

/**
 * Envoy's panic threshold (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold):
 * when fewer than `thresholdPercent` of the group's endpoints are healthy (ready, not ejected),
 * balance over all serving endpoints of the group and mark results `panic: true`. Default 50;
 * 0 turns it off.
 */
export function withPanicThreshold(policy: BalancerPolicy, options: { thresholdPercent?: number } = {}): PipelinePolicy {
  const thresholdPercent = options.thresholdPercent ?? 50;
  if (!(thresholdPercent >= 0 && thresholdPercent <= 100)) {
    throw new InvalidOptionError('thresholdPercent', thresholdPercent, 'must be between 0 and 100');
  }
  return restack(policy, { panicThresholdPercent: thresholdPercent });
}

/** Zone/node preference or strict node-local routing (see {@link TopologyOptions}). */
export function withTopology(policy: BalancerPolicy, options: TopologyOptions): PipelinePolicy {
  return restack(policy, { topology: resolveTopology(options) });
}

/** Ejects endpoints after consecutive failures (see {@link OutlierDetectionOptions}; Envoy defaults). */
export function withOutlierDetection(policy: BalancerPolicy, options: OutlierDetectionOptions = {}): PipelinePolicy {
  return restack(policy, { outlierDetection: resolveOutlierDetection(options) });
}
