/** The discovery-aware HTTP client (`createClient`): see docs/client.md. */
export { createClient } from './create-client.js';
export { randomReady } from './random-ready.js';
export { createRetryBudget, type RetryBudget, DEFAULT_RETRY_RATIO, DEFAULT_MIN_RETRIES_PER_SECOND, DEFAULT_BUDGET_TTL_MS } from './retry-budget.js';
export {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_RETRY_STATUSES,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_RESOLVE_TIMEOUT_MS,
  DEFAULT_QUARANTINE_MS,
} from './client-core.js';
export { IDEMPOTENT_METHODS, retryAfterMs } from './classify.js';
export type {
  AttemptEvent,
  ClientOptions,
  ClientTransport,
  RetryBudgetOptions,
  RetryOptions,
  WayfinderCallOptions,
  WayfinderClient,
  WayfinderRequestInit,
} from './options.js';
