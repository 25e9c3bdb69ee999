/**
 * Errors thrown or reported by Wayfinder. Every error is a {@link WayfinderError} with a stable
 * `code` (`WF_ERR_…`) that callers can switch on; `cause` carries the underlying error.
 *
 * `instanceof WayfinderError` works across duplicate copies of the package (two versions in one
 * `node_modules` tree) through a `Symbol.for` brand, as undici does for its errors.
 */

const BRAND = Symbol.for('wayfinder.error');

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type WayfinderErrorCode =
  | 'WF_ERR_INVALID_TARGET'
  | 'WF_ERR_UNSUPPORTED_SCHEME'
  | 'WF_ERR_INVALID_ENDPOINT'
  | 'WF_ERR_INVALID_OPTION'
  | 'WF_ERR_SOURCE'
  | 'WF_ERR_RESOURCE_EXPIRED'
  | 'WF_ERR_RESOLVE_TIMEOUT'
  | 'WF_ERR_CLOSED'
  | 'WF_ERR_NO_ENDPOINTS'
  | 'WF_ERR_RETRIES_EXHAUSTED'
  | 'WF_ERR_BUDGET_EXHAUSTED'
  | (string & {});

export interface WayfinderErrorOptions {
  cause?: unknown;
}

/** Base class of every error Wayfinder throws or reports. */
export class WayfinderError extends Error {
  readonly code: WayfinderErrorCode;

  constructor(code: WayfinderErrorCode, message: string, options: WayfinderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WayfinderError';
    this.code = code;
  }

  get [BRAND](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === WayfinderError) return isWayfinderError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

/** True for any Wayfinder error, from any copy of the package. */
export function isWayfinderError(value: unknown): value is WayfinderError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A target string that cannot be parsed, or names no known scheme. */
export class InvalidTargetError extends WayfinderError {
  readonly target: string;
  constructor(target: string, problem: string, options?: WayfinderErrorOptions & { code?: WayfinderErrorCode }) {
    super(options?.code ?? 'WF_ERR_INVALID_TARGET', `invalid target "${target}": ${problem}`, options);
    this.name = 'InvalidTargetError';
    this.target = target;
  }
}

/** Endpoint data that fails validation; `path` names the offending field. */
export class InvalidEndpointError extends WayfinderError {
  readonly path: string;
  constructor(message: string, path = '', options?: WayfinderErrorOptions) {
    super('WF_ERR_INVALID_ENDPOINT', message, options);
    this.name = 'InvalidEndpointError';
    this.path = path;
  }
}

/** A bad option passed to a Wayfinder factory; thrown at construction. */
export class InvalidOptionError extends WayfinderError {
  readonly option: string;
  constructor(option: string, value: unknown, expected: string) {
    super('WF_ERR_INVALID_OPTION', `option "${option}" ${expected}, got ${describe(value)}`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** A registry failed: unreachable, refused, malformed answer. The resolver retries it. */
export class SourceError extends WayfinderError {
  readonly target: string;
  /** True when retrying cannot help (bad credentials, missing permission, unknown port name). */
  readonly permanent: boolean;
  constructor(target: string, message: string, options?: WayfinderErrorOptions & { permanent?: boolean; code?: WayfinderErrorCode }) {
    super(options?.code ?? 'WF_ERR_SOURCE', `${target}: ${message}`, options);
    this.name = 'SourceError';
    this.target = target;
    this.permanent = options?.permanent ?? false;
  }
}

/**
 * The registry says the position a watch resumes from is gone (Kubernetes 410 Gone, an etcd
 * compaction): the resolver lists again at once and replaces the whole set atomically.
 */
export class ResourceExpiredError extends WayfinderError {
  readonly target: string;
  constructor(target: string, message = 'watch position expired, listing again', options?: WayfinderErrorOptions) {
    super('WF_ERR_RESOURCE_EXPIRED', `${target}: ${message}`, options);
    this.name = 'ResourceExpiredError';
    this.target = target;
  }
}

/** No first snapshot arrived within the allowed time. `cause` is the last source error, if any. */
export class ResolveTimeoutError extends WayfinderError {
  readonly target: string;
  constructor(target: string, timeoutMs: number, options?: WayfinderErrorOptions) {
    const last = options?.cause instanceof Error ? `; last error: ${options.cause.message}` : '';
    super('WF_ERR_RESOLVE_TIMEOUT', `${target}: no endpoints resolved within ${timeoutMs} ms${last}`, options);
    this.name = 'ResolveTimeoutError';
    this.target = target;
  }
}

/** The resolver or client was closed while the call waited. */
export class ClosedError extends WayfinderError {
  constructor(what: string) {
    super('WF_ERR_CLOSED', `${what} is closed`);
    this.name = 'ClosedError';
  }
}

/** Why a pick found nothing to return. */
export type NoEndpointsReason = 'empty' | 'none-ready' | 'all-ejected' | 'none-local' | 'all-excluded';

/** A pick found no endpoint to use. */
export class NoEndpointsError extends WayfinderError {
  readonly reason: NoEndpointsReason;
  /** The logical service (client) or target (balancer) that had none. */
  service: string | undefined;
  target: string | undefined;
  constructor(reason: NoEndpointsReason, options?: WayfinderErrorOptions & { service?: string; target?: string; detail?: string }) {
    const who = options?.service ?? options?.target;
    const text: Record<NoEndpointsReason, string> = {
      empty: 'the endpoint set is empty',
      'none-ready': 'no endpoint is ready or serving',
      'all-ejected': 'every endpoint is ejected by outlier detection',
      'none-local': 'no endpoint in the required zone or node',
      'all-excluded': 'every endpoint was already tried',
    };
    super(
      'WF_ERR_NO_ENDPOINTS',
      `no endpoints${who ? ` for ${who}` : ''}${options?.target && options.service ? ` (${options.target})` : ''}: ${text[reason]}${options?.detail ? ` (${options.detail})` : ''}`,
      options,
    );
    this.name = 'NoEndpointsError';
    this.reason = reason;
    this.service = options?.service;
    this.target = options?.target;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/**
 * A call failed on every attempt it was allowed (`maxAttempts`). `cause` is the last attempt's
 * error (for fetch, usually a `TypeError('fetch failed')` whose own `cause` is the socket error).
 */
export class RetriesExhaustedError extends WayfinderError {
  readonly service: string;
  readonly attempts: number;
  constructor(service: string, attempts: number, options?: WayfinderErrorOptions) {
    const last = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('WF_ERR_RETRIES_EXHAUSTED', `${service}: all ${attempts} attempts failed${last}`, options);
    this.name = 'RetriesExhaustedError';
    this.service = service;
    this.attempts = attempts;
  }
}

/**
 * A call failed and could have been retried, but the retry budget (a share of recent requests
 * plus a per-second floor) is spent: the service looks down and retries would only add load.
 * `cause` is the attempt's error.
 */
export class BudgetExhaustedError extends WayfinderError {
  readonly service: string;
  constructor(service: string, options?: WayfinderErrorOptions) {
    const last = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('WF_ERR_BUDGET_EXHAUSTED', `${service}: retry budget exhausted${last}`, options);
    this.name = 'BudgetExhaustedError';
    this.service = service;
  }
}
