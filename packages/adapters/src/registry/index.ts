import type { SchemeMap } from '@wayfinder/core';
import { registryHttpSourceFactory } from './source.js';

/** `registry+http` and `registry+https`: the Wayfinder HTTP registry protocol (docs/http-registry-protocol.md). */
export const registrySchemes: SchemeMap = Object.freeze({
  'registry+http': registryHttpSourceFactory,
  'registry+https': registryHttpSourceFactory,
});

export * from './schema.js';
export { RegistryResponseError, RegistrationError } from './errors.js';
export { parseServiceSnapshot } from './parse.js';
export {
  registryHttpSource,
  registryHttpSourceFactory,
  type RegistryHttpSourceOptions,
  DEFAULT_REGISTRY_IDLE_TIMEOUT_MS,
  DEFAULT_REGISTRY_REQUEST_TIMEOUT_MS,
  REGISTRY_TOKEN_ENV,
} from './source.js';
export { createRegistryStore, type RegistryStore, type RegistryStoreOptions, RegistryLimitError } from './store.js';
export {
  routeRegistryRequest,
  registryError,
  sseSnapshotFrame,
  sseHeartbeatFrame,
  type RegistryRequest,
  type RegistryResponse,
  type RegistryRoute,
  type RegistryProtocolOptions,
} from './protocol.js';
export {
  createRegistryServer,
  type RegistryServer,
  type RegistryServerOptions,
  DEFAULT_REGISTRY_HOST,
  DEFAULT_REGISTRY_PORT,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_RESTART_GRACE_MS,
} from './server.js';
export {
  registerHttp,
  registryBaseUrl,
  type HttpRegisterOptions,
  DEFAULT_REGISTRATION_TTL_SECONDS,
  DEFAULT_RENEW_FRACTION,
  DEFAULT_DRAIN_MS,
} from './register.js';
