import pRetry, { AbortError } from 'p-retry';
import type { PickedEndpoint } from '../balancer.js';
import { type Clock, sleep } from '../clock.js';
import { BudgetExhaustedError, RetriesExhaustedError } from '../errors.js';
import { classifyError, retryAfterMs } from './classify.js';
import type { RetryBudget } from './retry-budget.js';
import type { ServiceRoute } from './service-route.js';

/** Retry settings after defaults and per-call overrides. */
export interface ResolvedRetry {
  readonly maxAttempts: number;
  readonly statuses: ReadonlySet<number>;
  readonly maxRetryAfterMs: number;
}

/** What an attempt that got a response returns to the engine. */
export interface AttemptResult<T> {
  readonly status: number;
  readonly retryAfter: string | null;
  /** What the call returns if this attempt is the final one. */
  readonly value: T;
  /** Drops the response when another attempt follows. */
  discard(): void | Promise<void>;
}

export interface CallPlan {
  readonly route: ServiceRoute;
  /** Method idempotent, or the request carries an `Idempotency-Key`. */
  readonly idempotent: boolean;
  /** True while the body can be sent again (replayable, or a stream not yet read). */
  readonly canResend: () => boolean;
  readonly affinityKey: string | undefined;
  /** The call's signal (caller's signal and deadline), if any. */
  readonly signal: AbortSignal | undefined;
  /** Clock time after which nothing more starts (deadline), or Infinity. */
  readonly deadlineAt: number;
  readonly resolveTimeoutMs: number;
  readonly retry: ResolvedRetry;
  readonly budget: RetryBudget | undefined;
  readonly clock: Clock;
}

class AttemptFailure extends Error {
  constructor(
    readonly underlying: unknown,
    readonly neverReached: boolean,
  ) {
    super('attempt failed');
  }
}

class StatusFailure<T> extends Error {
  constructor(readonly result: AttemptResult<T>) {
    super(`status ${result.status}`);
  }
}

/**
 * Runs one call to a mapped service: wait for the first snapshot, then attempts on picked
 * endpoints under p-retry (https://github.com/sindresorhus/p-retry), deciding after each
 * failure whether another attempt is safe, allowed by the budget, and fits in the deadline.
 */
export async function runCall<T>(plan: CallPlan, attempt: (pick: PickedEndpoint, attemptNumber: number) => Promise<AttemptResult<T>>): Promise<T> {
  const { route, signal, clock, retry, budget } = plan;
  if (!route.synced) {
    const left = plan.deadlineAt - clock.now();
    await route.ready({ ...(signal ? { signal } : {}), timeoutMs: Math.max(1, Math.min(plan.resolveTimeoutMs, left)) });
  }
  budget?.deposit();
  let tried: Set<string> | undefined;
  let attempts = 0;
  let stop: 'budget' | undefined;

  const decide = async (error: Error): Promise<boolean> => {
    if (signal?.aborted) return false;
    if (clock.now() >= plan.deadlineAt) return false;
    if (error instanceof StatusFailure) {
      const result = error.result as AttemptResult<T>;
      if (!plan.idempotent || !plan.canResend()) return false;
      const waitMs = result.status === 429 || result.status === 503 ? retryAfterMs(result.retryAfter, clock.wallNow()) : undefined;
      if (waitMs !== undefined && (waitMs > retry.maxRetryAfterMs || clock.now() + waitMs >= plan.deadlineAt)) return false;
      if (budget && !budget.tryWithdraw()) return false;
      await result.discard();
      if (waitMs !== undefined && waitMs > 0) await sleep(clock, waitMs, signal);
      return true;
    }
    const failure = error as AttemptFailure;
    if (!plan.canResend()) return false;
    if (!failure.neverReached && !plan.idempotent) return false;
    if (budget && !budget.tryWithdraw()) {
      stop = 'budget';
      return false;
    }
    return true;
  };

  try {
    return await pRetry(
      async (attemptNumber) => {
        attempts = attemptNumber;
        const pick = route.pick(plan.affinityKey, tried);
        if (pick.type === 'unavailable') throw new AbortError(pick.error);
        (tried ??= new Set()).add(pick.endpoint.id);
        let result: AttemptResult<T>;
        try {
          result = await attempt(pick, attemptNumber);
        } catch (error) {
          const failure = classifyError(error, signal?.aborted ?? false);
          if (failure === 'local') throw new AbortError(toError(signal?.reason ?? error));
          if (failure === 'connect') route.quarantine(pick.endpoint);
          throw new AttemptFailure(error, failure === 'connect');
        }
        route.release(pick.endpoint.id);
        if (retry.statuses.has(result.status) && attemptNumber < retry.maxAttempts) throw new StatusFailure(result);
        return result.value;
      },
      {
        retries: retry.maxAttempts - 1,
        minTimeout: 0,
        maxTimeout: 0,
        ...(signal ? { signal } : {}),
        shouldRetry: ({ error }) => decide(error),
      },
    );
  } catch (error) {
    if (error instanceof StatusFailure) return (error.result as AttemptResult<T>).value;
    if (error instanceof AttemptFailure) {
      if (stop === 'budget') throw new BudgetExhaustedError(route.name, { cause: error.underlying });
      if (attempts > 1) throw new RetriesExhaustedError(route.name, attempts, { cause: error.underlying });
      throw error.underlying;
    }
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : Object.assign(new Error(String(value)), { reason: value });
}
