import type { CallOutcome } from '../balancer.js';

/** Error codes meaning the request never reached a server: safe to send elsewhere. */
const NEVER_REACHED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** The first `code` found along an error's `cause` chain. */
export function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** How an attempt's error is treated: `connect` never reached the server; the rest may have. */
export function classifyError(error: unknown, callerAborted: boolean): NonNullable<CallOutcome['failure']> {
  if (callerAborted) return 'local';
  const code = errorCode(error);
  if (code && NEVER_REACHED.has(code)) return 'connect';
  if (code && TIMEOUTS.has(code)) return 'timeout';
  return 'server';
}

export function classifyStatus(status: number): CallOutcome['failure'] {
  if (status === 502 || status === 503 || status === 504) return 'gateway';
  if (status >= 500) return 'server';
  return undefined;
}

/**
 * Delay asked by a `Retry-After` header (seconds or an HTTP date, RFC 9110 §10.2.3), in ms;
 * undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null | undefined, wallNowMs: number): number | undefined {
  if (value == null || value === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - wallNowMs);
}
