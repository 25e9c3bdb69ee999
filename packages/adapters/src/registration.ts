import type { WayfinderError } from '@wayfinder/core';

/**
 * A running self-registration: the handle `register()` returns for any registry (the HTTP dev
 * registry today, etcd in its issue). It keeps the endpoint registered (renewing before its TTL
 * runs out, re-registering after the registry lost it) until `close()`, which drains: mark the
 * endpoint terminating, wait `drainMs` so clients stop picking it, then deregister.
 *
 * Draining follows Kubernetes' termination sequence (terminating endpoints stop receiving new
 * work while in-flight calls finish):
 * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#terminating
 *
 * @example
 * const registration = register({ registry: 'http://127.0.0.1:7070', service: 'planner',
 *   endpoint: { address: '127.0.0.1', port: 8080 }, ttlSeconds: 10 });
 * await registration.ready({ timeoutMs: 5000 });
 * // … serve …
 * await registration.close(); // terminating → drain → deregistered
 */
export interface Registration {
  /** The endpoint id in the registry. */
  readonly id: string;
  /** Where it is registered, for messages (credentials stripped). */
  readonly target: string;
  readonly state: RegistrationState;
  /** The last failure since the last successful renewal, or null. */
  readonly lastError: WayfinderError | null;
  /** Resolves after the first successful registration; rejects on timeout, abort or close. */
  ready(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Calls `listener` on every registration event. Returns the unsubscribe function. */
  subscribe(listener: (event: RegistrationEvent) => void): () => void;
  /**
   * Marks the endpoint terminating, waits the drain period (`drainMs`, default from the options),
   * then deregisters. Idempotent; resolves when done (also when the registry is unreachable).
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

export type RegistrationState = 'registering' | 'registered' | 'retrying' | 'draining' | 'closed';

export type RegistrationEvent =
  /** A PUT succeeded; `created` is true when the registry did not have it (first time, or after a restart or expiry). */
  | { readonly type: 'registered'; readonly created: boolean }
  | { readonly type: 'error'; readonly error: WayfinderError }
  | { readonly type: 'terminating' }
  | { readonly type: 'deregistered' };
