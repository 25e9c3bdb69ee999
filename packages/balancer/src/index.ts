/**
 * `@wayfinder/balancer`: client-side balancing policies for `@wayfinder/core` snapshots.
 *
 * Policies are plain factories (`random()`, `roundRobin()`, `leastRequest()`, `peakEwma()`,
 * `sticky()`, `consistentHash()`, `maglev()`); each `create()` applies the default filters
 * (priority groups, readiness with the terminating fallback, panic threshold 50%). Decorators
 * add or change filters: `withTopology`, `withOutlierDetection`, `withPanicThreshold`,
 * `withReadiness`, `withPriority`.
 *
 * @example
 * import { withOutlierDetection, peakEwma } from '@wayfinder/balancer';
 * const balancer = withOutlierDetection(peakEwma()).create({ target });
 * const picker = balancer.build(snapshot);
 * const result = picker.pick({ exclude: tried });
 */
export { random, type RandomOptions } from './random.js';
export { roundRobin } from './round-robin.js';
export { leastRequest, type LeastRequestOptions, DEFAULT_CHOICES, DEFAULT_ACTIVE_REQUEST_BIAS } from './least-request.js';
export { peakEwma, type PeakEwmaOptions, DEFAULT_DECAY_MS, DEFAULT_RTT_MS } from './peak-ewma.js';
export { sticky, type StickyOptions, DEFAULT_STICKY_IDLE_TIMEOUT_MS, DEFAULT_STICKY_MAX_ENTRIES } from './sticky.js';
export {
  consistentHash,
  type ConsistentHashOptions,
  DEFAULT_POINTS_PER_UNIT_WEIGHT,
  DEFAULT_MAX_RING_POINTS,
  KEY_HASH_SEED,
} from './consistent-hash.js';
export { maglev, buildMaglevTable, type MaglevOptions, DEFAULT_MAGLEV_TABLE_SIZE } from './maglev.js';
export { withReadiness, withPriority, withPanicThreshold, withTopology, withOutlierDetection } from './decorators.js';
export { type TopologyOptions } from './topology.js';
export {
  type OutlierDetectionOptions,
  type FailureKind,
  classifyOutcome,
  DEFAULT_CONSECUTIVE_FAILURES,
  DEFAULT_BASE_EJECTION_TIME_MS,
  DEFAULT_MAX_EJECTION_TIME_MS,
  DEFAULT_MAX_EJECTION_PERCENT,
} from './outlier-detection.js';
export { type PipelinePolicy, type PipelineStack, DEFAULT_STACK, createPipelinePolicy, isPipelinePolicy } from './pipeline.js';
export type { PolicyCore, CoreBalancer, CorePicker, CoreEnv, EndpointState } from './core.js';
export { createRingBuilder, type Ring, type RingSizing } from './ring.js';
export { hashString, fmix32, mix32 } from './hash.js';
export { policyByName, POLICY_NAMES, type PolicyName } from './by-name.js';
