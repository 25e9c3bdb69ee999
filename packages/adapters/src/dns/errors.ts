import { SourceError, type WayfinderErrorOptions } from '@wayfinder/core';

/**
 * Why a DNS query failed:
 * - `servfail`, `refused`, `rcode`: the server answered with that error code (RFC 1035 §4.1.1);
 * - `timeout`: no answer within the query timeout;
 * - `network`: the socket failed (connection refused, unreachable);
 * - `malformed`: the answer cannot be decoded, does not match the question, or holds invalid records.
 */
export type DnsFailure = 'servfail' | 'refused' | 'rcode' | 'timeout' | 'network' | 'malformed';

/**
 * A DNS query failed. The resolver keeps the last good set (marked stale) and retries with
 * backoff. NXDOMAIN and an empty answer are not errors: they mean "no endpoints".
 *
 * @example
 * resolver.subscribe((s) => { if (s.error instanceof DnsQueryError && s.error.failure === 'timeout') warn(); });
 */
export class DnsQueryError extends SourceError {
  readonly failure: DnsFailure;
  /** The server asked, `address:port`. */
  readonly server: string;
  /** The response code text (`SERVFAIL`, `REFUSED`, …) when the server answered. */
  readonly rcode: string | null;

  constructor(
    target: string,
    message: string,
    details: { failure: DnsFailure; server: string; rcode?: string | null },
    options?: WayfinderErrorOptions,
  ) {
    super(target, message, options);
    this.name = 'DnsQueryError';
    this.failure = details.failure;
    this.server = details.server;
    this.rcode = details.rcode ?? null;
  }
}
