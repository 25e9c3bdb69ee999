import { SourceError, type WayfinderErrorOptions } from '@wayfinder/core';

/**
 * The registry answered, but not with a valid protocol response: over the size limit, not JSON,
 * a schema violation, an error status. The resolver keeps the last good set and retries.
 * `status` is the HTTP status when there was one.
 */
export class RegistryResponseError extends SourceError {
  readonly status: number | undefined;
  constructor(target: string, message: string, options?: WayfinderErrorOptions & { status?: number; permanent?: boolean }) {
    super(target, message, { ...options, code: 'WF_ERR_REGISTRY_RESPONSE' });
    this.name = 'RegistryResponseError';
    this.status = options?.status;
  }
}

/** Self-registration failed (a PUT or DELETE was refused or could not be sent). */
export class RegistrationError extends SourceError {
  readonly status: number | undefined;
  constructor(target: string, message: string, options?: WayfinderErrorOptions & { status?: number; permanent?: boolean }) {
    super(target, message, { ...options, code: 'WF_ERR_REGISTRATION' });
    this.name = 'RegistrationError';
    this.status = options?.status;
  }
}
