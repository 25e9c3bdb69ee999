import type { Registration } from './registration.js';
import { registerHttp, type HttpRegisterOptions } from './registry/register.js';
import { registerEtcd, type EtcdRegisterOptions } from './etcd/register.js';

/**
 * Options of {@link register}: one shape per registry kind. HTTP registry
 * (`{ registry, service, endpoint, ttlSeconds }`) today; etcd adds `{ etcd, prefix, … }`.
 */
export type RegisterOptions = HttpRegisterOptions | EtcdRegisterOptions;

/**
 * Registers this process's endpoint in a registry and keeps it there until `close()`
 * (renewals, re-registration after a registry restart, drain on shutdown).
 *
 * @see ../../../docs/registry.md
 *
 * @example
 * const registration = register({ registry: 'http://127.0.0.1:7070', service: 'planner',
 *   endpoint: { address: '127.0.0.1', port: 8080 }, ttlSeconds: 10, handleSignals: true });
 */
export function register(options: RegisterOptions): Registration {
  // Other registries dispatch here by their distinguishing key.
  if ('etcd' in options) return registerEtcd(options);
  return registerHttp(options);
}
