import type { Clock } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { RetryBudgetOptions } from './options.js';

export const DEFAULT_RETRY_RATIO = 0.2;
export const DEFAULT_MIN_RETRIES_PER_SECOND = 10;
export const DEFAULT_BUDGET_TTL_MS = 10_000;
const BUCKETS = 10;

/**
 * A retry budget after Finagle's `RetryBudget`
 * (https://twitter.github.io/finagle/guide/Clients.html#retries): each request deposits
 * `ratio` tokens, each retry withdraws one, deposits expire after `ttlMs`, and a reserve of
 * `minPerSecond × ttl` tokens lets a quiet client retry at all. Time comes from the clock.
 */
export interface RetryBudget {
  /** Records a request (call), depositing `ratio` tokens. */
  deposit(): void;
  /** Takes one retry token if there is one. */
  tryWithdraw(): boolean;
  /** Tokens available now. */
  balance(): number;
}

export function createRetryBudget(options: RetryBudgetOptions = {}, clock: Clock): RetryBudget {
  const ratio = options.ratio ?? DEFAULT_RETRY_RATIO;
  const minPerSecond = options.minPerSecond ?? DEFAULT_MIN_RETRIES_PER_SECOND;
  const ttlMs = options.ttlMs ?? DEFAULT_BUDGET_TTL_MS;
  if (!(ratio >= 0 && ratio <= 1000)) throw new InvalidOptionError('retry.budget.ratio', ratio, 'must be a number ≥ 0');
  if (!(minPerSecond >= 0 && Number.isFinite(minPerSecond))) throw new InvalidOptionError('retry.budget.minPerSecond', minPerSecond, 'must be a finite number ≥ 0');
  if (!(ttlMs >= 10 && Number.isFinite(ttlMs))) throw new InvalidOptionError('retry.budget.ttlMs', ttlMs, 'must be a finite number ≥ 10');
  const reserve = (minPerSecond * ttlMs) / 1000;
  const bucketMs = ttlMs / BUCKETS;
  // Ring of buckets: requests and retries per time slice, so both expire after ttlMs.
  const requests = new Float64Array(BUCKETS);
  const retries = new Float64Array(BUCKETS);
  let slot = Math.floor(clock.now() / bucketMs);
  let requestSum = 0;
  let retrySum = 0;
  const advance = () => {
    const now = Math.floor(clock.now() / bucketMs);
    if (now === slot) return;
    const steps = Math.min(BUCKETS, now - slot);
    for (let i = 1; i <= steps; i++) {
      const k = (slot + i) % BUCKETS;
      requestSum -= requests[k]!;
      retrySum -= retries[k]!;
      requests[k] = 0;
      retries[k] = 0;
    }
    slot = now;
  };
  const balance = () => reserve + ratio * requestSum - retrySum;
  return {
    deposit() {
      advance();
      requests[slot % BUCKETS]!++;
      requestSum++;
    },
    tryWithdraw() {
      advance();
      if (balance() < 1) return false;
      retries[slot % BUCKETS]!++;
      retrySum++;
      return true;
    },
    balance() {
      advance();
      return balance();
    },
  };
}
