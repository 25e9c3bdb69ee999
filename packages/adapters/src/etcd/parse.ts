import { createEndpoint, type Endpoint, InvalidEndpointError, parseEndpoint, parseHostPort } from '@wayfinder/core';
import { z } from 'zod';

/**
 * Pure parsing of the etcd v3 JSON gateway (https://etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/):
 * keys and values are base64, every 64-bit number is a decimal string (lease ids exceed 2^53, so
 * they stay strings), and fields equal to their zero value are omitted (`count`, `TTL`, a PUT
 * event's `type`).
 */

const int64 = z.string().regex(/^-?\d{1,20}$/);

export const keyValueSchema = z.object({
  key: z.string(),
  value: z.string().optional(),
  create_revision: int64.optional(),
  mod_revision: int64.optional(),
  version: int64.optional(),
  lease: int64.optional(),
});
export type GatewayKeyValue = z.infer<typeof keyValueSchema>;

const headerSchema = z.object({ revision: int64.optional(), member_id: int64.optional() }).loose();

export const rangeResponseSchema = z.object({
  header: headerSchema,
  kvs: z.array(keyValueSchema).optional(),
  more: z.boolean().optional(),
});

const eventSchema = z.object({
  type: z.enum(['PUT', 'DELETE']).optional(),
  kv: keyValueSchema,
  prev_kv: keyValueSchema.optional(),
});

export const watchResponseSchema = z.object({
  header: headerSchema.optional(),
  watch_id: int64.optional(),
  created: z.boolean().optional(),
  canceled: z.boolean().optional(),
  compact_revision: int64.optional(),
  cancel_reason: z.string().optional(),
  events: z.array(eventSchema).optional(),
});
export type GatewayWatchResponse = z.infer<typeof watchResponseSchema>;

/** One line of the watch stream: `{"result": …}` or `{"error": …}` (a gateway/grpc error). */
export const watchLineSchema = z
  .object({
    result: watchResponseSchema.optional(),
    error: z.union([z.string(), z.object({ message: z.string().optional() }).loose()]).optional(),
    message: z.string().optional(),
  })
  .refine((line) => line.result !== undefined || line.error !== undefined, { message: 'neither "result" nor "error"' });

/** `{"Op":0,"Addr":"host:port","Metadata":…}`: etcd's Go naming package (`clientv3/naming`, `naming/endpoints`). */
const namingSchema = z.object({
  Op: z.union([z.literal(0), z.literal(1)]).optional(),
  Addr: z.string().min(1).max(300),
  Metadata: z.unknown().optional(),
});

/** NAMING_OP_DELETE: a value written with Op 1 withdraws the address (Go `naming.Delete`). */
const NAMING_OP_DELETE = 1;

export function decodeBase64(text: string | undefined): Buffer {
  return Buffer.from(text ?? '', 'base64');
}

export function encodeBase64(data: string | Buffer): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
}

/**
 * Turns one key/value into an endpoint, or `null` when the value withdraws it (naming Op 1).
 * The endpoint id is the key (stable while the key lives); `metadata.etcd` carries the key and
 * lease. Throws {@link InvalidEndpointError} naming the key and the problem.
 */
export function parseKeyValue(kv: GatewayKeyValue): Endpoint | null {
  const key = decodeBase64(kv.key).toString('utf8');
  const where = `key "${key}"`;
  let json: unknown;
  try {
    json = JSON.parse(decodeBase64(kv.value).toString('utf8'));
  } catch (error) {
    throw new InvalidEndpointError(`${where}: the value is not JSON (expected a Wayfinder endpoint or {"Op":0,"Addr":"host:port"})`, key, { cause: error });
  }
  const etcd = { key, ...(kv.lease !== undefined && kv.lease !== '0' ? { lease: kv.lease } : {}) };
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'Addr' in json) {
    const naming = namingSchema.safeParse(json);
    if (!naming.success) {
      const issue = naming.error.issues[0]!;
      throw new InvalidEndpointError(`${where}: ${[...issue.path].join('.') || 'value'}: ${issue.message}`, key, { cause: naming.error });
    }
    if (naming.data.Op === NAMING_OP_DELETE) return null;
    let hostPort: { host: string; port: number };
    try {
      hostPort = parseHostPort(naming.data.Addr, key);
    } catch (error) {
      throw new InvalidEndpointError(`${where}: Addr: ${(error as Error).message.replace(/^invalid target "[^"]*": /, '')}`, key, { cause: error });
    }
    const metadata = naming.data.Metadata === undefined || naming.data.Metadata === null ? { etcd } : { etcd, naming: naming.data.Metadata };
    return createEndpoint({ id: key, address: hostPort.host, port: hostPort.port, metadata });
  }
  const endpoint = parseEndpoint(json, where);
  return Object.freeze({ ...endpoint, id: key, metadata: Object.freeze({ ...endpoint.metadata, etcd }) });
}

/** Parses a `/v3/kv/range` answer into the complete set and its revision. */
export function parseRange(body: unknown): { endpoints: Endpoint[]; revision: string; more: boolean } {
  const parsed = rangeResponseSchema.safeParse(body);
  if (!parsed.success) throw new InvalidEndpointError(`malformed /v3/kv/range answer: ${parsed.error.issues[0]!.message}`, '');
  const revision = parsed.data.header.revision ?? '0';
  const endpoints: Endpoint[] = [];
  for (const kv of parsed.data.kvs ?? []) {
    const endpoint = parseKeyValue(kv);
    if (endpoint) endpoints.push(endpoint);
  }
  return { endpoints, revision, more: parsed.data.more ?? false };
}

/** What one watch response means for the set. */
export type WatchStep =
  | { readonly kind: 'created'; readonly revision: string | undefined }
  | { readonly kind: 'progress'; readonly revision: string }
  | { readonly kind: 'changes'; readonly upsert: Endpoint[]; readonly remove: string[]; readonly revision: string }
  | { readonly kind: 'compacted'; readonly compactRevision: string }
  | { readonly kind: 'canceled'; readonly reason: string };

/**
 * Interprets one watch response. Events are applied in order, so a key put then deleted in the
 * same response ends removed. The revision of a response with events is its last event's
 * `mod_revision` (a resumed watch starts after it; the header revision may run ahead of events
 * still to come); a progress notification (header only) moves the cursor to the header revision.
 */
export function parseWatchResponse(result: GatewayWatchResponse): WatchStep {
  if (result.canceled) {
    if (result.compact_revision !== undefined && result.compact_revision !== '0') return { kind: 'compacted', compactRevision: result.compact_revision };
    return { kind: 'canceled', reason: result.cancel_reason ?? 'the server canceled the watch' };
  }
  if (result.created) return { kind: 'created', revision: result.header?.revision };
  const events = result.events ?? [];
  if (events.length === 0) return { kind: 'progress', revision: result.header?.revision ?? '0' };
  const latest = new Map<string, Endpoint | null>();
  let revision = result.header?.revision ?? '0';
  for (const event of events) {
    const key = decodeBase64(event.kv.key).toString('utf8');
    latest.set(key, event.type === 'DELETE' ? null : parseKeyValue(event.kv));
    if (event.kv.mod_revision !== undefined) revision = event.kv.mod_revision;
  }
  const upsert: Endpoint[] = [];
  const remove: string[] = [];
  for (const [key, endpoint] of latest) {
    if (endpoint) upsert.push(endpoint);
    else remove.push(key);
  }
  return { kind: 'changes', upsert, remove, revision };
}

/** The text of a gateway error body (`{"error":"…","message":"…","code":5}`), for messages. */
export function gatewayErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { message?: unknown; error?: unknown };
  if (typeof b.message === 'string') return b.message;
  if (typeof b.error === 'string') return b.error;
  if (typeof b.error === 'object' && b.error !== null && typeof (b.error as { message?: unknown }).message === 'string') return (b.error as { message: string }).message;
  return undefined;
}
