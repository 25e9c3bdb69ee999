import type { Dispatcher } from 'undici';
import type { PickedEndpoint } from '../balancer.js';
import type { Clock } from '../clock.js';
import { InvalidOptionError } from '../errors.js';
import type { AttemptEvent, ClientTransport, RetryOptions } from './options.js';
import type { RetryBudget } from './retry-budget.js';
import type { ResolvedRetry } from './run-call.js';
import type { ServiceRoute } from './service-route.js';
import type { AttemptTarget, EndpointTransport } from './transport.js';

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_RETRY_STATUSES: readonly number[] = [500, 502, 503, 504, 429];
export const DEFAULT_MAX_RETRY_AFTER_MS = 10_000;
export const DEFAULT_RESOLVE_TIMEOUT_MS = 10_000;
export const DEFAULT_QUARANTINE_MS = 10_000;

/** The state shared by `client.fetch` and `client.dispatcher`. */
export interface ClientCore {
  readonly routes: ReadonlyMap<string, ServiceRoute>;
  readonly transport: EndpointTransport;
  readonly clock: Clock;
  readonly budgets: ReadonlyMap<ServiceRoute, RetryBudget>;
  readonly timeoutMs: number | undefined;
  readonly resolveTimeoutMs: number;
  readonly mode: ClientTransport;
  readonly onAttempt: ((event: AttemptEvent) => void) | undefined;
  readonly closed: boolean;
  /** `client.dispatcher` (set once the client is built): where cross-origin redirects go. */
  dispatcher(): Dispatcher;
  retryFor(override: RetryOptions | false | undefined): ResolvedRetry;
}

export function resolveRetry(base: RetryOptions | false | undefined, where: string): ResolvedRetry {
  if (base === false) return { maxAttempts: 1, statuses: new Set(), maxRetryAfterMs: 0 };
  const maxAttempts = base?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) throw new InvalidOptionError(`${where}.maxAttempts`, maxAttempts, 'must be an integer from 1 to 100');
  const maxRetryAfterMs = base?.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  if (!(maxRetryAfterMs >= 0)) throw new InvalidOptionError(`${where}.maxRetryAfterMs`, maxRetryAfterMs, 'must be a number ≥ 0');
  return { maxAttempts, statuses: new Set(base?.statuses ?? DEFAULT_RETRY_STATUSES), maxRetryAfterMs };
}

/** True while msw (or another @mswjs/interceptors user) has patched the global fetch. */
export function fetchIsIntercepted(): boolean {
  return (globalThis as Record<symbol, unknown>)[Symbol.for('fetch-interceptor')] !== undefined;
}

/** The call's signal: the caller's and the deadline's, combined (none when neither exists). */
export function callSignal(
  clock: Clock,
  caller: AbortSignal | null | undefined,
  timeoutMs: number | undefined,
): { signal: AbortSignal | undefined; deadlineAt: number; cleanup: () => void } {
  if (timeoutMs === undefined) return { signal: caller ?? undefined, deadlineAt: Number.POSITIVE_INFINITY, cleanup: noop };
  const controller = new AbortController();
  const deadlineAt = clock.now() + timeoutMs;
  const timer = clock.setTimeout(
    () => controller.abort(new DOMException(`the call did not finish within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  const onAbort = () => controller.abort(caller!.reason);
  if (caller?.aborted) controller.abort(caller.reason);
  else caller?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    deadlineAt,
    cleanup: () => {
      clock.clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    },
  };
}

/** The attempt target for a pick: where to connect and what `Host` to send. */
export function attemptTarget(
  core: ClientCore,
  route: ServiceRoute,
  pick: PickedEndpoint,
  url: { protocol: string; host: string; port: string },
  attempt: number,
  callerAborted: () => boolean,
): AttemptTarget {
  const endpoint = pick.endpoint;
  const host = endpoint.hostname ? (url.port ? `${endpoint.hostname}:${url.port}` : endpoint.hostname) : url.host;
  const onAttempt = core.onAttempt;
  return {
    endpoint,
    pick,
    protocol: url.protocol,
    host,
    callerAborted,
    ...(onAttempt ? { onOutcome: (outcome) => onAttempt({ service: route.name, endpoint, attempt, outcome }) } : {}),
  };
}

const noop = (): void => {};
