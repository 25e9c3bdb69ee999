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
  /** The call's signal (caller's signal and deadline), if any; may be created on first use. */
  readonly signal: () => AbortSignal | undefined;
  /** The abort reason once the caller (or the deadline) ended the call, else undefined. */
  readonly abortReason: () => unknown;
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
  const { route, clock, retry, budget } = plan;
  if (!route.synced) {
    const left = plan.deadlineAt - clock.now();
    const signal = plan.signal();
    await route.ready({ ...(signal ? { signal } : {}), timeoutMs: Math.max(1, Math.min(plan.resolveTimeoutMs, left)) });
  }
  budget?.deposit();
  let tried: Set<string> | undefined;
  let attempts = 0;
  let stop: 'budget' | undefined;

  const once = async (attemptNumber: number): Promise<T> => {
    attempts = attemptNumber;
    const pick = route.pick(plan.affinityKey, tried);
    if (pick.type === 'unavailable') throw new Stop(pick.error);
    if (retry.maxAttempts > 1) (tried ??= new Set()).add(pick.endpoint.id);
    let result: AttemptResult<T>;
    try {
      result = await attempt(pick, attemptNumber);
    } catch (error) {
      const reason = plan.abortReason();
      const failure = classifyError(error, reason !== undefined);
      if (failure === 'local') throw new Stop(reason ?? error);
      if (failure === 'connect') route.quarantine(pick.endpoint);
      throw new AttemptFailure(error, failure === 'connect');
    }
    route.release(pick.endpoint.id);
    if (attemptNumber < retry.maxAttempts && retry.statuses.has(result.status)) throw new StatusFailure(result);
    return result.value;
  };

  const decide = async (error: Error): Promise<boolean> => {
    if (plan.abortReason() !== undefined) return false;
    if (clock.now() >= plan.deadlineAt) return false;
    if (error instanceof StatusFailure) {
      const result = error.result as AttemptResult<T>;
      if (!plan.idempotent || !plan.canResend()) return false;
      const waitMs = result.status === 429 || result.status === 503 ? retryAfterMs(result.retryAfter, clock.wallNow()) : undefined;
      if (waitMs !== undefined && (waitMs > retry.maxRetryAfterMs || clock.now() + waitMs >= plan.deadlineAt)) return false;
      if (budget && !budget.tryWithdraw()) return false;
      await result.discard();
      if (waitMs !== undefined && waitMs > 0) await sleep(clock, waitMs, plan.signal());
      return true;
    }
    if (!(error instanceof AttemptFailure)) return false;
    if (!plan.canResend()) return false;
    if (!error.neverReached && !plan.idempotent) return false;
    if (budget && !budget.tryWithdraw()) {
      stop = 'budget';
      return false;
    }
    return true;
  };

  const finish = (error: unknown): T => {
    const aborted = plan.abortReason();
    if (aborted !== undefined) throw aborted;
    if (error instanceof StatusFailure) return (error.result as AttemptResult<T>).value;
    if (error instanceof Stop) throw error.error;
    if (error instanceof AttemptFailure) {
      if (stop === 'budget') throw new BudgetExhaustedError(route.name, { cause: error.underlying });
      if (attempts > 1) throw new RetriesExhaustedError(route.name, attempts, { cause: error.underlying });
      throw error.underlying;
    }
    throw error;
  };

  // The first attempt runs outside p-retry: most calls succeed at once and pay nothing more.
  try {
    return await once(1);
  } catch (error) {
    if (retry.maxAttempts <= 1 || error instanceof Stop || !(await decide(error as Error).catch(() => false))) return finish(error);
  }
  try {
    const signal = plan.signal();
    return await pRetry(
      async (n) => {
        try {
          return await once(n + 1);
        } catch (error) {
          if (error instanceof Stop) throw new AbortError(toError(error.error));
          throw error;
        }
      },
      {
        retries: retry.maxAttempts - 2,
        minTimeout: 0,
        maxTimeout: 0,
        ...(signal ? { signal } : {}),
        shouldRetry: ({ error }) => decide(error),
      },
    );
  } catch (error) {
    return finish(error);
  }
}

/** Ends the call at once with `error` (nothing to pick, or the caller aborted). */
class Stop {
  constructor(readonly error: unknown) {}
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : Object.assign(new Error(String(value)), { reason: value });
}
