/**
 * `@wayfinder/core`: the endpoint model, snapshots, the watch engine, targets and errors, and
 * the contracts that sources (`Source`) and balancing policies (`BalancerPolicy`) implement.
 */
export * from './errors.js';
export { type Clock, type TimerHandle, systemClock, sleep } from './clock.js';
export { type Random, seededRandom } from './random.js';
export {
  type Endpoint,
  type EndpointHints,
  type EndpointInput,
  endpointInputSchema,
  parseEndpoint,
  createEndpoint,
  endpointAddressKey,
  endpointsEqual,
  endpointToJSON,
} from './endpoint.js';
export {
  type EndpointSet,
  type EndpointSetDiff,
  type EndpointSetOptions,
  type EndpointChanges,
  createEndpointSet,
  applyEndpointChanges,
  diffEndpointSets,
  compareEndpoints,
  sameEndpoints,
  EMPTY_ENDPOINT_SET,
} from './endpoint-set.js';
export type { Source, SourceContext, ListResult, WatchEvent } from './source.js';
export { type ParsedTarget, type SourceFactory, type SourceFactoryContext, type SchemeMap, parseTarget } from './target.js';
export type {
  Balancer,
  BalancerContext,
  BalancerPolicy,
  CallOutcome,
  PickContext,
  PickedEndpoint,
  PickResult,
  PickUnavailable,
  Picker,
} from './balancer.js';
export { type BackoffOptions, type Backoff, createBackoff, DEFAULT_BACKOFF } from './backoff.js';
export { coreSchemes, createSource, type CreateSourceOptions } from './create-source.js';
export {
  createResolver,
  type Resolver,
  type ResolverOptions,
  type ResolverState,
  type ReadyOptions,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_MIN_REFRESH_MS,
} from './resolver.js';
export { createResolverPool, type ResolverPool, type ResolverPoolOptions } from './resolver-pool.js';
export { staticSource } from './sources/static.js';
export { fileSource, parseEndpointsFile, MAX_ENDPOINTS_FILE_BYTES } from './sources/file.js';
export { parseHostPort } from './sources/host-port.js';
export { snapshotToJSON, type SnapshotJSON } from './snapshot-json.js';
export {
  createClient,
  randomReady,
  createRetryBudget,
  type RetryBudget,
  DEFAULT_RETRY_RATIO,
  DEFAULT_MIN_RETRIES_PER_SECOND,
  DEFAULT_BUDGET_TTL_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_STATUSES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_RESOLVE_TIMEOUT_MS,
  DEFAULT_QUARANTINE_MS,
  IDEMPOTENT_METHODS,
  retryAfterMs,
  type AttemptEvent,
  type ClientOptions,
  type ClientTransport,
  type RetryBudgetOptions,
  type RetryOptions,
  type WayfinderCallOptions,
  type WayfinderClient,
  type WayfinderRequestInit,
} from './client/index.js';
