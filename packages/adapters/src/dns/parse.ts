import { isIPv4, isIPv6 } from 'node:net';
import type { Answer } from 'dns-packet';
import { z } from 'zod';
import { createEndpoint, type Endpoint, endpointAddressKey } from '@wayfinder/core';
import { canonicalName, type DnsResponse, MalformedAnswerError } from './message.js';

/** One SRV record (RFC 2782), validated. `target` has no trailing dot; "" is the root ("."). */
export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
  readonly ttl: number;
}

/** One A or AAAA record, validated. */
export interface AddressRecord {
  readonly address: string;
  readonly ttl: number;
}

/** The addresses of a name and the TTL to re-read them after (the smallest on the CNAME chain). */
export interface AddressLookup {
  readonly addresses: readonly string[];
  readonly ttl: number | undefined;
}

const MAX_CNAME_CHAIN = 8;
// RFC 2181 §8: a TTL with the top bit set is treated as zero.
const ttlSchema = z.number().int().min(0).transform((t) => (t > 0x7fffffff ? 0 : t));
const u16 = z.number().int().min(0).max(65535);
const srvSchema = z.object({
  ttl: ttlSchema,
  data: z.object({ priority: u16, weight: u16, port: u16, target: z.string().max(255) }),
});
const aSchema = z.object({ ttl: ttlSchema, data: z.string().refine(isIPv4, 'not an IPv4 address') });
const aaaaSchema = z.object({ ttl: ttlSchema, data: z.string().refine(isIPv6, 'not an IPv6 address') });
const cnameSchema = z.object({ ttl: ttlSchema, data: z.string().min(1).max(255) });
const soaSchema = z.object({ ttl: ttlSchema, data: z.object({ minimum: z.number().int().min(0) }) });

/**
 * The names `name` is an alias of, following CNAME records in `records` (a recursive server puts
 * the chain in the answer), with the smallest CNAME TTL seen.
 */
function aliasChain(records: readonly Answer[], name: string): { names: Set<string>; ttl: number | undefined } {
  const names = new Set([canonicalName(name)]);
  let current = canonicalName(name);
  let ttl: number | undefined;
  for (let i = 0; i < MAX_CNAME_CHAIN; i++) {
    const cname = records.find((r) => r.type === 'CNAME' && canonicalName(r.name) === current);
    if (!cname) break;
    const parsed = validate(cnameSchema, cname, 'CNAME');
    current = canonicalName(parsed.data);
    if (names.has(current)) throw new MalformedAnswerError(`CNAME loop at ${current}`);
    names.add(current);
    ttl = minTtl(ttl, parsed.ttl);
  }
  return { names, ttl };
}

/** The SRV records answering `name` (RFC 2782), in a stable order (BIND rotates them). */
export function readSrvRecords(response: DnsResponse, name: string): { records: SrvRecord[]; ttl: number | undefined } {
  const chain = aliasChain(response.answers, name);
  let ttl = chain.ttl;
  const records: SrvRecord[] = [];
  for (const r of response.answers) {
    if (r.type !== 'SRV' || !chain.names.has(canonicalName(r.name))) continue;
    const parsed = validate(srvSchema, r, 'SRV');
    const target = parsed.data.target.endsWith('.') ? parsed.data.target.slice(0, -1) : parsed.data.target;
    if (target !== '' && parsed.data.port === 0) throw new MalformedAnswerError(`SRV ${r.name} → ${target} has port 0`);
    records.push({ ...parsed.data, target, ttl: parsed.ttl });
    ttl = minTtl(ttl, parsed.ttl);
  }
  records.sort((a, b) => a.priority - b.priority || a.weight - b.weight || a.port - b.port || compareText(canonicalName(a.target), canonicalName(b.target)));
  return { records, ttl };
}

/**
 * The A and AAAA addresses of `name` among `records` (an answer, or the additional section of an
 * SRV answer), following CNAMEs. `ttl` is undefined when there is no address.
 */
export function readAddresses(records: readonly Answer[], name: string): AddressLookup {
  const chain = aliasChain(records, name);
  const addresses = new Set<string>();
  let ttl: number | undefined;
  for (const r of records) {
    if ((r.type !== 'A' && r.type !== 'AAAA') || !chain.names.has(canonicalName(r.name))) continue;
    const parsed = validate(r.type === 'A' ? aSchema : aaaaSchema, r, r.type);
    addresses.add(parsed.data);
    ttl = minTtl(ttl, parsed.ttl);
  }
  if (addresses.size === 0) return { addresses: [], ttl: undefined };
  return { addresses: [...addresses].sort(), ttl: minTtl(ttl, chain.ttl) };
}

/**
 * How long "no such records" may be remembered (RFC 2308 §5): the smaller of the SOA record's TTL
 * and its MINIMUM field, from the authority section. Undefined when the server sent no SOA.
 */
export function negativeTtl(response: DnsResponse): number | undefined {
  const soa = response.authorities.find((r) => r.type === 'SOA');
  if (!soa) return undefined;
  const parsed = validate(soaSchema, soa, 'SOA');
  return Math.min(parsed.ttl, parsed.data.minimum);
}

/**
 * Endpoints for SRV records whose targets are resolved (RFC 2782,
 * https://www.rfc-editor.org/rfc/rfc2782):
 * - one endpoint per address, `priority` from the record, `hostname` the target;
 * - a target's weight is shared equally among its addresses, so the target's total share is what
 *   its record says;
 * - targets with no address contribute nothing; a target of "." (service decidedly not available)
 *   contributes nothing, so a lone "." record gives an empty set;
 * - an address reached through several records (same address and port) becomes one endpoint
 *   with the lowest priority and the sum of the weights at that priority.
 * Ids are `address:port`, stable across refreshes.
 */
export function srvEndpoints(records: readonly SrvRecord[], addressesOf: (target: string) => readonly string[]): Endpoint[] {
  const merged = new Map<string, { address: string; port: number; hostname: string; weight: number; priority: number }>();
  for (const record of records) {
    if (record.target === '') continue;
    const addresses = addressesOf(record.target);
    for (const address of addresses) {
      const id = endpointAddressKey(address, record.port);
      const share = record.weight / addresses.length;
      const seen = merged.get(id);
      if (!seen || record.priority < seen.priority) {
        merged.set(id, { address, port: record.port, hostname: record.target, weight: share, priority: record.priority });
      } else if (record.priority === seen.priority) {
        seen.weight += share;
      }
    }
  }
  return [...merged.values()].map((e) => createEndpoint(e));
}

/** One endpoint per address of an A/AAAA lookup (`dns://host:port`). */
export function addressEndpoints(name: string, addresses: readonly string[], port: number): Endpoint[] {
  const hostname = name.endsWith('.') ? name.slice(0, -1) : name;
  return addresses.map((address) => createEndpoint({ address, port, hostname }));
}

/** The re-read delay for `ttlSeconds` within [minMs, maxMs]; `fallbackMs` when there is no TTL. */
export function refreshDelayMs(ttlSeconds: number | undefined, bounds: { minMs: number; maxMs: number; fallbackMs: number }): number {
  const wanted = ttlSeconds === undefined ? bounds.fallbackMs : ttlSeconds * 1000;
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, wanted));
}

/** The smaller of two optional TTLs. */
export function minTtl(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validate<T extends z.ZodType>(schema: T, record: Answer, type: string): z.output<T> {
  const result = schema.safeParse(record);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new MalformedAnswerError(`invalid ${type} record for ${record.name}: ${[...issue.path.map(String), issue.message].join(': ')}`, { cause: result.error });
  }
  return result.data;
}
