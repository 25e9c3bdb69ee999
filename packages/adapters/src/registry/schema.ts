import { endpointInputSchema } from '@wayfinder/core';
import { z } from 'zod';

/**
 * The schemas of the Wayfinder HTTP registry protocol, version 1 — the one definition the client
 * source, the dev registry and the msw handlers of `@wayfinder/testing` share.
 *
 * @see ../../../../docs/http-registry-protocol.md
 *
 * @example
 * const body = serviceSnapshotSchema.parse(await response.json());
 */

/** The path prefix of protocol version 1. */
export const REGISTRY_API_PREFIX = '/v1/services';
/** Largest request body a v1 registry accepts (a PUT). */
export const MAX_REGISTRATION_BYTES = 64 * 1024;
/** Default largest snapshot (GET body or one SSE event) the client accepts. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Endpoints one service may hold in the dev registry. */
export const MAX_ENDPOINTS_PER_SERVICE = 10_000;
export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 3600;
/** Heartbeats at least this often (protocol requirement). */
export const MAX_HEARTBEAT_INTERVAL_MS = 15_000;

/** `{service}` in a path. */
export const serviceNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, 'a service name is 1-253 of [A-Za-z0-9._-], starting with a letter or digit');

/** `{id}` in a path (after percent-decoding). */
export const endpointIdSchema = z.string().min(1).max(512);

/** `<epoch>-<counter>`; see the protocol, section 2. */
export const revisionSchema = z.string().regex(/^[A-Za-z0-9]{1,32}-\d{1,16}$/, 'a revision is <epoch>-<counter>');

/** The body of `GET /v1/services/{service}` and the data of an SSE `snapshot` event. */
export const serviceSnapshotSchema = z.object({
  service: serviceNameSchema,
  revision: revisionSchema,
  endpoints: z.array(endpointInputSchema).max(100_000),
});
export type ServiceSnapshotBody = z.input<typeof serviceSnapshotSchema>;

/** The body of `PUT /v1/services/{service}/endpoints/{id}`. */
export const registrationRequestSchema = z.object({
  endpoint: endpointInputSchema,
  ttlSeconds: z.number().int().min(MIN_TTL_SECONDS).max(MAX_TTL_SECONDS),
});
export type RegistrationRequestBody = z.input<typeof registrationRequestSchema>;

/** The answer to a PUT. */
export const registrationResponseSchema = z.object({
  service: serviceNameSchema,
  id: endpointIdSchema,
  revision: revisionSchema,
  ttlSeconds: z.number().int(),
  created: z.boolean(),
});
export type RegistrationResponseBody = z.infer<typeof registrationResponseSchema>;

/** Every 4xx/5xx body. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string().max(64), message: z.string().max(4096) }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export type RegistryErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_endpoints'
  | 'recovering'
  | 'internal';

/** Splits a revision into epoch and counter (undefined when it is not v1-shaped). */
export function parseRevision(revision: string): { epoch: string; counter: number } | undefined {
  if (!revisionSchema.safeParse(revision).success) return undefined;
  const dash = revision.lastIndexOf('-');
  return { epoch: revision.slice(0, dash), counter: Number(revision.slice(dash + 1)) };
}

/** The `ETag` header value of a revision (a strong entity tag). */
export function revisionETag(revision: string): string {
  return `"${revision}"`;
}

/** True when an `If-None-Match` header names this revision (`*` and lists included). */
export function etagMatches(ifNoneMatch: string | null | undefined, revision: string): boolean {
  if (!ifNoneMatch) return false;
  const tag = revisionETag(revision);
  return ifNoneMatch.split(',').some((t) => {
    const s = t.trim();
    return s === '*' || s === tag || s === `W/${tag}`;
  });
}

/** Paths of the protocol, percent-encoding the parts. */
export const registryPaths = {
  service: (service: string) => `${REGISTRY_API_PREFIX}/${encodeURIComponent(service)}`,
  watch: (service: string) => `${REGISTRY_API_PREFIX}/${encodeURIComponent(service)}/watch`,
  endpoint: (service: string, id: string) => `${REGISTRY_API_PREFIX}/${encodeURIComponent(service)}/endpoints/${encodeURIComponent(id)}`,
};
