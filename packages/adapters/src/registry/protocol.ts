import { timingSafeEqual } from 'node:crypto';
import { RegistryLimitError, type RegistryStore } from './store.js';
import {
  endpointIdSchema,
  etagMatches,
  MAX_REGISTRATION_BYTES,
  parseRevision,
  REGISTRY_API_PREFIX,
  registrationRequestSchema,
  type RegistryErrorCode,
  revisionETag,
  serviceNameSchema,
} from './schema.js';

/**
 * The server side of the protocol without the transport: a request in, a response (or "start a
 * watch") out. The dev server (node:http) and the msw handlers both call it, so they answer
 * identically.
 */
export interface RegistryRequest {
  readonly method: string;
  /** The path below the registry's base path, e.g. `/v1/services/checkout`. */
  readonly path: string;
  readonly header: (name: string) => string | null | undefined;
  /** The request body as text (PUT), already bounded by the transport. */
  readonly body?: string;
}

export interface RegistryResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export type RegistryRoute =
  | { readonly kind: 'response'; readonly response: RegistryResponse }
  /** Start an SSE stream for `service`; send the current snapshot unless `lastEventId` is current. */
  | { readonly kind: 'watch'; readonly service: string; readonly lastEventId: string | undefined };

export interface RegistryProtocolOptions {
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /**
   * Milliseconds left of the restart grace period (protocol §2.3), or 0 when it is over. During
   * it, a client that still holds a revision of an earlier epoch (`If-None-Match`,
   * `Last-Event-ID`) gets 503 `recovering` with `Retry-After`, so it keeps its last good set
   * instead of replacing it with the half-empty state of a registry whose registrants have not
   * re-registered yet. Clients without such a revision are answered at once.
   */
  readonly restartGraceRemainingMs?: (() => number) | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

export function registryError(status: number, code: RegistryErrorCode, message: string, headers: Record<string, string> = {}): RegistryResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify({ error: { code, message } }) };
}

export function routeRegistryRequest(store: RegistryStore, request: RegistryRequest, options: RegistryProtocolOptions = {}): RegistryRoute {
  const respond = (response: RegistryResponse): RegistryRoute => ({ kind: 'response', response });
  if (options.token !== undefined && !authorized(request.header('authorization'), options.token)) {
    return respond(registryError(401, 'unauthorized', 'a valid bearer token is required', { 'www-authenticate': 'Bearer realm="wayfinder"' }));
  }
  const parts = splitPath(request.path);
  if (!parts) return respond(registryError(404, 'not_found', `no such resource: ${request.path}`));
  const service = serviceNameSchema.safeParse(parts.service);
  if (!service.success) return respond(registryError(400, 'bad_request', `invalid service name "${parts.service}": ${service.error.issues[0]!.message}`));
  const name = service.data;

  if (parts.kind === 'service' || parts.kind === 'watch') {
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(registryError(405, 'method_not_allowed', `${request.method} is not allowed here`, { allow: 'GET' }));
    const held = parts.kind === 'watch' ? request.header('last-event-id') : request.header('if-none-match');
    const graceMs = options.restartGraceRemainingMs?.() ?? 0;
    if (graceMs > 0 && held && heldEpoch(held) !== undefined && heldEpoch(held) !== store.epoch) {
      return respond(
        registryError(503, 'recovering', `the registry restarted and is waiting for registrants to renew; keep your last good set`, {
          'retry-after': String(Math.max(1, Math.ceil(graceMs / 1000))),
        }),
      );
    }
    if (parts.kind === 'watch') return { kind: 'watch', service: name, lastEventId: request.header('last-event-id') ?? undefined };
    const snapshot = store.snapshot(name);
    const headers = { ...JSON_HEADERS, etag: revisionETag(snapshot.revision) };
    if (etagMatches(request.header('if-none-match'), snapshot.revision)) return respond({ status: 304, headers: { etag: headers.etag, 'cache-control': 'no-store' } });
    return respond({ status: 200, headers, body: JSON.stringify(snapshot) });
  }

  if (parts.kind !== 'endpoint') return respond(registryError(404, 'not_found', `no such resource: ${request.path}`));
  const id = endpointIdSchema.safeParse(parts.id);
  if (!id.success) return respond(registryError(400, 'bad_request', 'an endpoint id is 1-512 characters'));
  if (request.method === 'DELETE') {
    store.delete(name, id.data);
    return respond({ status: 204, headers: { 'cache-control': 'no-store' } });
  }
  if (request.method !== 'PUT') return respond(registryError(405, 'method_not_allowed', `${request.method} is not allowed here`, { allow: 'PUT, DELETE' }));
  const type = request.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) return respond(registryError(415, 'unsupported_media_type', 'a PUT body must be application/json'));
  const text = request.body ?? '';
  if (Buffer.byteLength(text) > MAX_REGISTRATION_BYTES) return respond(registryError(413, 'payload_too_large', `the body is over ${MAX_REGISTRATION_BYTES} bytes`));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return respond(registryError(400, 'bad_request', 'the body is not valid JSON'));
  }
  const parsed = registrationRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return respond(registryError(400, 'bad_request', `${issue.path.join('.') || 'body'}: ${issue.message}`));
  }
  const { endpoint, ttlSeconds } = parsed.data;
  if (endpoint.id !== undefined && endpoint.id !== id.data) {
    return respond(registryError(400, 'bad_request', `endpoint.id "${endpoint.id}" does not match the path id "${id.data}"`));
  }
  try {
    const result = store.put(name, id.data, endpoint, ttlSeconds);
    return respond({ status: result.created ? 201 : 200, headers: JSON_HEADERS, body: JSON.stringify(result) });
  } catch (error) {
    if (error instanceof RegistryLimitError) return respond(registryError(507, 'too_many_endpoints', error.message));
    return respond(registryError(400, 'bad_request', (error as Error).message));
  }
}

/** The epoch of a revision or an ETag naming one (`"<epoch>-<n>"`, `W/` and lists tolerated). */
function heldEpoch(value: string): string | undefined {
  const m = /([A-Za-z0-9]{1,32})-\d{1,16}/.exec(value);
  return m ? parseRevision(m[0])?.epoch : undefined;
}

type PathParts = { kind: 'service' | 'watch'; service: string } | { kind: 'endpoint'; service: string; id: string };

function splitPath(path: string): PathParts | undefined {
  if (!path.startsWith(`${REGISTRY_API_PREFIX}/`)) return undefined;
  const segments = path.slice(REGISTRY_API_PREFIX.length + 1).split('/');
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  const [service, second, third, ...rest] = decoded;
  if (service === undefined || service === '' || rest.length > 0) return undefined;
  if (second === undefined) return { kind: 'service', service };
  if (second === 'watch' && third === undefined) return { kind: 'watch', service };
  if (second === 'endpoints' && third !== undefined && third !== '') return { kind: 'endpoint', service, id: third };
  return undefined;
}

function authorized(header: string | null | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Formats one SSE `snapshot` event (data on one line: JSON has no raw newlines). */
export function sseSnapshotFrame(snapshot: { revision: string }): string {
  return `event: snapshot\nid: ${snapshot.revision}\ndata: ${JSON.stringify(snapshot)}\n\n`;
}

/** Formats one SSE heartbeat: a `heartbeat` event (clients see it) and a comment (proxies see it). */
export function sseHeartbeatFrame(revision: string): string {
  return `: keep-alive\nevent: heartbeat\ndata: ${revision}\n\n`;
}
