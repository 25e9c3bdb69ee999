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

export class AttemptFailure extends Error {
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

/** What a call has done so far: read by the retry decisions and the final error. */
export interface CallState {
  /** The endpoint of the first attempt (no Set is allocated unless a retry happens). */
  firstId: string | undefined;
  /** Endpoints tried, from the second attempt on. */
  tried: Set<string> | undefined;
  attempts: number;
  stop: 'budget' | undefined;
  /** True once the call was failed over from an endpoint already known dead (at most once). */
  failedOver: boolean;
}

export function newCallState(): CallState {
  return { firstId: undefined, tried: undefined, attempts: 0, stop: undefined, failedOver: false };
}

/** Waits for the route's first snapshot, within the deadline and the call's signal. */
export async function waitReady(plan: CallPlan): Promise<void> {
  const left = plan.deadlineAt - plan.clock.now();
  const signal = plan.signal();
  await plan.route.ready({ ...(signal ? { signal } : {}), timeoutMs: Math.max(1, Math.min(plan.resolveTimeoutMs, left)) });
}

/** Picks the endpoint of attempt `attemptNumber`; throws {@link Stop} when nothing can be picked. */
export function pickAttempt(plan: CallPlan, state: CallState, attemptNumber: number): PickedEndpoint {
  state.attempts = attemptNumber;
  const pick = plan.route.pick(plan.affinityKey, state.tried);
  if (pick.type === 'unavailable') throw new Stop(pick.error);
  if (plan.retry.maxAttempts > 1) {
    if (attemptNumber === 1) state.firstId = pick.endpoint.id;
    else state.tried!.add(pick.endpoint.id);
  }
  return pick;
}

/**
 * The endpoint to send a refused attempt to instead, when the endpoint that refused it was
 * already quarantined by another call: the attempt was picked and queued for it before the
 * first refusal came back. Such an attempt never reached a server, so it is sent once more,
 * elsewhere, whatever the retry settings: a dead endpoint costs one failed request per
 * client, not every request already on its way to it. Undefined when that does not apply.
 */
export function failOver(plan: CallPlan, state: CallState, pick: PickedEndpoint, error: unknown): PickedEndpoint | undefined {
  if (state.failedOver || !plan.route.isQuarantined(pick.endpoint.id)) return undefined;
  if (plan.abortReason() !== undefined || classifyError(error, false) !== 'connect' || !plan.canResend()) return undefined;
  if (plan.clock.now() >= plan.deadlineAt) return undefined;
  state.failedOver = true;
  const next = plan.route.pick(plan.affinityKey, state.tried);
  if (next.type === 'unavailable' || next.endpoint.id === pick.endpoint.id) return undefined;
  if (plan.retry.maxAttempts > 1) (state.tried ??= new Set(state.firstId === undefined ? [] : [state.firstId])).add(next.endpoint.id);
  return next;
}

/** What a failed attempt means for the call: stop at once, or a failure the engine may retry. */
export function attemptError(plan: CallPlan, pick: PickedEndpoint, error: unknown): Stop | AttemptFailure {
  const reason = plan.abortReason();
  const failure = classifyError(error, reason !== undefined);
  if (failure === 'local') return new Stop(reason ?? error);
  if (failure === 'connect') plan.route.quarantine(pick.endpoint);
  return new AttemptFailure(error, failure === 'connect');
}

/** The failure of an attempt that answered with a status the call may retry. */
export function statusFailure<T>(result: AttemptResult<T>): Error {
  return new StatusFailure(result);
}

/**
 * Runs one call to a mapped service: wait for the first snapshot, then attempts on picked
 * endpoints under p-retry (https://github.com/sindresorhus/p-retry), deciding after each
 * failure whether another attempt is safe, allowed by the budget, and fits in the deadline.
 */
export async function runCall<T>(plan: CallPlan, attempt: (pick: PickedEndpoint, attemptNumber: number) => Promise<AttemptResult<T>>): Promise<T> {
  if (!plan.route.synced) await waitReady(plan);
  plan.budget?.deposit();
  const state = newCallState();
  // The first attempt runs outside p-retry: most calls succeed at once and pay nothing more.
  let first: unknown;
  try {
    return await attemptOnce(plan, state, 1, attempt);
  } catch (error) {
    first = error;
  }
  return continueCall(plan, state, first, attempt);
}

async function attemptOnce<T>(
  plan: CallPlan,
  state: CallState,
  attemptNumber: number,
  attempt: (pick: PickedEndpoint, attemptNumber: number) => Promise<AttemptResult<T>>,
): Promise<T> {
  let pick = pickAttempt(plan, state, attemptNumber);
  let result: AttemptResult<T>;
  for (;;) {
    try {
      result = await attempt(pick, attemptNumber);
      break;
    } catch (error) {
      const other = failOver(plan, state, pick, error);
      if (!other) throw attemptError(plan, pick, error);
      pick = other;
    }
  }
  plan.route.release(pick.endpoint.id);
  if (attemptNumber < plan.retry.maxAttempts && plan.retry.statuses.has(result.status)) throw new StatusFailure(result);
  return result.value;
}

/**
 * Goes on after the first attempt failed with `first` (a {@link Stop}, an attempt failure or a
 * retryable status): decides whether another attempt may go, runs the rest under p-retry, and
 * returns the final value or throws the call's error.
 */
export async function continueCall<T>(
  plan: CallPlan,
  state: CallState,
  first: unknown,
  attempt: (pick: PickedEndpoint, attemptNumber: number) => Promise<AttemptResult<T>>,
): Promise<T> {
  const { clock, retry, budget } = plan;

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
      state.stop = 'budget';
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
      if (state.stop === 'budget') throw new BudgetExhaustedError(plan.route.name, { cause: error.underlying });
      if (state.attempts > 1) throw new RetriesExhaustedError(plan.route.name, state.attempts, { cause: error.underlying });
      throw error.underlying;
    }
    throw error;
  };

  if (retry.maxAttempts <= 1 || first instanceof Stop || !(await decide(first as Error).catch(() => false))) return finish(first);
  state.tried ??= new Set(state.firstId === undefined ? [] : [state.firstId]);
  try {
    const signal = plan.signal();
    return await pRetry(
      async (n) => {
        try {
          return await attemptOnce(plan, state, n + 1, attempt);
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
export class Stop {
  constructor(readonly error: unknown) {}
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : Object.assign(new Error(String(value)), { reason: value });
}
